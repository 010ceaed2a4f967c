// Package quickstart holds the bundled example project of `mlw quickstart`: a
// generated e-commerce customer-support dataset and a filled-in canvas.
package quickstart

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// Columns of the generated dataset, in file order.
var Columns = []string{
	"ticket_id", "created_at", "category", "channel", "text_length",
	"customer_tenure_months", "order_value", "region", "resolved_without_agent",
}

// Ticket is one generated support ticket.
type Ticket struct {
	ID          string
	CreatedAt   time.Time
	Category    string
	Channel     string
	TextLength  int
	TenureMonth float64 // NaN when unknown (guest checkout)
	OrderValue  float64 // NaN when the ticket concerns no order
	Region      string
	Resolved    bool // resolved without an agent
}

var (
	categories     = []string{"shipping", "billing", "returns", "technical", "account", "marketing"}
	categoryWeight = []float64{0.30, 0.18, 0.17, 0.15, 0.12, 0.08}
	categoryEffect = map[string]float64{"shipping": 1.1, "billing": -0.4, "returns": 0.5, "technical": -1.3, "account": 0.3, "marketing": 0.9}
	channels       = []string{"chat", "email", "web_form", "phone"}
	channelEffect  = map[string]float64{"chat": 0.5, "email": 0, "web_form": 0.3, "phone": -1.2}
	regions        = []string{"US", "EU", "APAC", "LATAM"}
	regionWeight   = []float64{0.42, 0.30, 0.16, 0.12}
	regionEffect   = map[string]float64{"US": 0.1, "EU": 0, "APAC": -0.7, "LATAM": -0.1}
)

// Start is the first day of the generated year of tickets.
var Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Generate returns n tickets over one year, ordered by creation time. The same n
// and seed give the same tickets. The data has realistic missing values (tenure
// of guest customers, order value of tickets without an order), a weak segment
// (APAC is served worse), and a time trend (chat grows over the year and
// self-service improves, so the label rate rises: a time-based split sees drift).
func Generate(n int, seed uint64) []Ticket {
	return generate(n, seed, regime{from: 0, span: 1, orderFactor: 1, orderEffect: -0.25})
}

// regime is when tickets are created (as fractions of the year after
// Start) and how order value behaves.
type regime struct {
	from, span  float64
	orderFactor float64 // order values are multiplied by this
	orderEffect float64 // coefficient of log1p(order value / 50) in the label's log-odds
	idOffset    int
}

// GenerateWeek generates n tickets of the week after the year of Generate,
// after a change in the shop: a new checkout with bundles triples order
// values (covariate drift), and tickets about large orders now get resolved
// by the new self-service returns page (the label's relationship with order
// value flips: concept drift, so a model trained on the year degrades). IDs
// continue after the year's n tickets.
func GenerateWeek(n int, seed uint64, yearRows int) []Ticket {
	return generate(n, seed, regime{from: 1, span: 7.0 / 365, orderFactor: 3, orderEffect: 0.9, idOffset: yearRows})
}

func generate(n int, seed uint64, r regime) []Ticket {
	rng := rand.New(rand.NewPCG(seed, 0x6d6c77))
	ts := make([]Ticket, n)
	year := 365 * 24 * time.Hour
	for i := range ts {
		t := &ts[i]
		frac := r.from + r.span*rng.Float64()
		t.CreatedAt = Start.Add(time.Duration(frac * float64(year))).Truncate(time.Second)
		t.Category = pick(rng, categories, categoryWeight)
		// Chat grows from 20% to 45% of tickets over the year.
		chat := 0.20 + 0.25*frac
		t.Channel = pick(rng, channels, []float64{chat, 0.45 - 0.15*frac, 0.2, 0.15 - 0.1*frac})
		t.Region = pick(rng, regions, regionWeight)
		t.TextLength = int(math.Round(math.Exp(5.0 + 0.6*rng.NormFloat64())))
		if t.Category == "technical" {
			t.TextLength += 150
		}
		if rng.Float64() < 0.09 {
			t.TenureMonth = math.NaN()
		} else {
			t.TenureMonth = math.Round(rng.ExpFloat64()*18*10) / 10
		}
		if t.Category == "account" || t.Category == "marketing" || rng.Float64() < 0.06 {
			t.OrderValue = math.NaN()
		} else {
			t.OrderValue = math.Round(r.orderFactor*math.Exp(3.8+0.8*rng.NormFloat64())*100) / 100
		}

		z := -0.6 + categoryEffect[t.Category] + channelEffect[t.Channel] + regionEffect[t.Region]
		z -= 0.004 * float64(t.TextLength-150)
		if math.IsNaN(t.TenureMonth) {
			z -= 0.5
		} else {
			z += 0.025 * math.Min(t.TenureMonth, 36)
		}
		if !math.IsNaN(t.OrderValue) {
			z += r.orderEffect * math.Log1p(t.OrderValue/50)
		}
		z += 0.9 * frac // self-service improves over the year
		p := 1 / (1 + math.Exp(-z))
		t.Resolved = rng.Float64() < p
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].CreatedAt.Before(ts[j].CreatedAt) })
	for i := range ts {
		ts[i].ID = fmt.Sprintf("T%06d", r.idOffset+i+1)
	}
	return ts
}

func pick(rng *rand.Rand, values []string, weights []float64) string {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := rng.Float64() * total
	for i, w := range weights {
		if u < w {
			return values[i]
		}
		u -= w
	}
	return values[len(values)-1]
}

// WriteCSV writes tickets as CSV with a header; missing values are empty fields.
func WriteCSV(w io.Writer, ts []Ticket) error {
	bw := bufio.NewWriter(w)
	for i, c := range Columns {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(c)
	}
	bw.WriteByte('\n')
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for _, t := range ts {
		label := "0"
		if t.Resolved {
			label = "1"
		}
		fmt.Fprintf(bw, "%s,%s,%s,%s,%d,%s,%s,%s,%s\n", t.ID, t.CreatedAt.Format("2006-01-02 15:04:05"),
			t.Category, t.Channel, t.TextLength, num(t.TenureMonth), num(t.OrderValue), t.Region, label)
	}
	return bw.Flush()
}
