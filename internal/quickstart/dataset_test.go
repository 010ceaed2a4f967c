package quickstart

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGenerateIsDeterministicAndRealistic(t *testing.T) {
	t.Parallel()
	a := Generate(3000, 7)
	csv := func(ts []Ticket) string {
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, ts))
		return buf.String()
	}
	require.True(t, csv(a) == csv(Generate(3000, 7)), "same seed, same data")
	require.False(t, csv(a) == csv(Generate(3000, 8)), "another seed, other data")

	var tenureMissing, orderMissing, resolved int
	byRegion := map[string][2]int{}
	firstHalf, secondHalf := [2]int{}, [2]int{}
	for i, tk := range a {
		if i > 0 {
			require.False(t, tk.CreatedAt.Before(a[i-1].CreatedAt), "ordered by time")
		}
		if math.IsNaN(tk.TenureMonth) {
			tenureMissing++
		}
		if math.IsNaN(tk.OrderValue) {
			orderMissing++
		}
		r := byRegion[tk.Region]
		r[1]++
		half := &firstHalf
		if i >= len(a)/2 {
			half = &secondHalf
		}
		half[1]++
		if tk.Resolved {
			resolved++
			r[0]++
			half[0]++
		}
		byRegion[tk.Region] = r
	}
	n := float64(len(a))
	require.InDelta(t, 0.09, float64(tenureMissing)/n, 0.03)
	require.Greater(t, float64(orderMissing)/n, 0.15)
	require.InDelta(t, 0.5, float64(resolved)/n, 0.15)
	rate := func(x [2]int) float64 { return float64(x[0]) / float64(x[1]) }
	require.Less(t, rate(byRegion["APAC"]), rate(byRegion["US"])-0.08, "APAC is the weak segment")
	require.Greater(t, rate(secondHalf), rate(firstHalf)+0.05, "self-service improves over the year")
	require.Len(t, byRegion, 4)
	for region := range byRegion {
		require.NotEqual(t, "NA", region, "NA reads as a missing value in most CSV tools")
	}
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, Generate(50, 1)))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 51)
	require.Equal(t, strings.Join(Columns, ","), lines[0])
	for _, l := range lines[1:] {
		require.Equal(t, len(Columns), len(strings.Split(l, ",")), l)
	}
	require.True(t, strings.HasPrefix(lines[1], "T000001,2025-"), lines[1])
}
