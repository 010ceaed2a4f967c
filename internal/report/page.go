// Package report renders the documents mlw writes for people: the project
// proposal, and the pages later stages add (data profile, evaluation,
// monitoring). HTML reports are single self-contained files (inline CSS and SVG,
// no scripts or fonts fetched) that read well offline.
package report

import (
	"html/template"
	"strings"
)

// pageCSS is the style of every HTML report.
const pageCSS = `
:root{--fg:#1d2733;--muted:#5b6876;--line:#d8dee5;--bg:#fff;--accent:#2f6fb3;--ok:#1d7a46;--warn:#a66300;--bad:#b3261e;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:920px;margin:0 auto;padding:32px 24px 64px}
header{border-bottom:3px solid var(--accent);margin-bottom:24px;padding-bottom:12px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:20px 0 6px}
.meta{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:8px 0 16px}
dt{font-weight:600;color:var(--muted)}
dd{margin:0}
.missing{color:var(--warn);font-style:italic}
.pending{background:var(--soft);border-left:4px solid var(--line);padding:8px 12px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.badge.pass{background:var(--ok)}.badge.fail{background:var(--bad)}.badge.warn{background:var(--warn)}.badge.todo{background:var(--muted)}
code{background:var(--soft);padding:1px 4px;border-radius:3px;font-size:13px}
@media print{main{padding:0}h2{break-after:avoid}}
`

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
{{.Body}}
</main>
</body>
</html>
`))

// Page wraps an HTML body into a complete self-contained document.
func Page(title string, body template.HTML) (string, error) {
	var b strings.Builder
	err := pageTemplate.Execute(&b, struct {
		Title string
		CSS   template.CSS
		Body  template.HTML
	}{title, template.CSS(pageCSS), body})
	return b.String(), err
}

// RenderPage executes body with data and wraps the result with Page: the
// bytes of a complete self-contained document.
func RenderPage(title string, body *template.Template, data any) ([]byte, error) {
	var b strings.Builder
	if err := body.Execute(&b, data); err != nil {
		return nil, err
	}
	page, err := Page(title, template.HTML(b.String()))
	if err != nil {
		return nil, err
	}
	return []byte(page), nil
}
