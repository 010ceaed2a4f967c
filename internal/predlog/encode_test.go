package predlog

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
)

// logAll observes obs with a logger that is never started and returns what
// Close writes.
func logAll(t *testing.T, obs ...*serve.Observation) []mlw.Prediction {
	t.Helper()
	sink := &fakeSink{}
	l := newLogger(t, sink, Config{})
	for _, o := range obs {
		l.Observe(o)
	}
	require.NoError(t, l.Close(context.Background()))
	recs := sink.records()
	for _, r := range recs {
		if r.Inputs != nil {
			require.True(t, json.Valid(r.Inputs), "%s", r.Inputs)
		}
		if r.Proba != nil {
			require.True(t, json.Valid(r.Proba), "%s", r.Proba)
		}
	}
	require.Equal(t, uint64(len(recs)), l.Logged())
	require.Zero(t, l.Dropped())
	return recs
}

func TestObserveConverts(t *testing.T) {
	t.Parallel()
	ms := models(t)
	for _, m := range []*serve.Model{ms.binary, ms.multi, ms.reg} {
		var names []string
		for _, in := range m.Bundle().Pipeline.Inputs {
			names = append(names, in.Name)
		}
		require.Equal(t, []string{"tenure", "spend", "plan", "active"}, names, "the signature order the cases assume")
	}
	num := func(x float64) feature.Value { return feature.Value{Num: x} }
	str := func(s string) feature.Value { return feature.Value{Str: s, IsStr: true} }
	missing := feature.Value{Missing: true}
	// Two rows: every kind of value, strings to escape, and a NaN number
	// (which the server does not let through, but JSON must survive).
	inputs := []feature.Value{
		num(12), num(30.25), str("pro"), str("true"),
		missing, num(math.NaN()), str("a\"b\\c\n\x00é\xff"), num(1),
	}
	const (
		row0 = `[12,30.25,"pro","true"]`
		row1 = `[null,null,"a\"b\\c\n\ufffdé\ufffd",1]`
	)
	base := func(m *serve.Model) mlw.Prediction {
		return mlw.Prediction{
			RequestID: "req-7", Endpoint: "ep", Model: m.Name(), Version: 3, Variant: "primary",
			At: testTime, Latency: 250 * time.Microsecond,
		}
	}
	obs := func(m *serve.Model, rows, width int, out []float64, classes []int) *serve.Observation {
		return &serve.Observation{
			Time: testTime, Endpoint: "ep", Variant: "primary", Model: m.Ref(), Source: m, RequestID: "req-7",
			Duration: 250 * time.Microsecond, Rows: rows, Inputs: inputs[:min(rows*4, len(inputs))], Outputs: out, Width: width, Classes: classes,
		}
	}
	rec := func(m *serve.Model, row int, in, output string, score float64, proba string) mlw.Prediction {
		r := base(m)
		r.Row, r.Inputs, r.Output, r.Score = row, json.RawMessage(in), output, score
		if proba != "" {
			r.Proba = json.RawMessage(proba)
		}
		return r
	}
	// Regression outputs, one per row, with the same two input rows.
	regOut := []float64{12.5, 1e21, math.NaN(), math.Inf(-1), 1234567, 1e-7, -0.1}
	regIn := make([]feature.Value, 0, 4*len(regOut))
	for range len(regOut) / 2 {
		regIn = append(regIn, inputs...)
	}
	regIn = append(regIn, inputs[:4]...)
	regObs := obs(ms.reg, len(regOut), 1, regOut, nil)
	regObs.Inputs = regIn

	tests := []struct {
		name string
		obs  *serve.Observation
		want []mlw.Prediction
	}{
		{
			name: "binary",
			obs:  obs(ms.binary, 2, 2, []float64{0.8, 0.2, 0.3, 0.7}, []int{0, 1}),
			want: []mlw.Prediction{
				rec(ms.binary, 0, row0, "stays", 0.2, `[0.8,0.2]`), // Score: P(class 1) even when class 0 wins
				rec(ms.binary, 1, row1, "churns", 0.7, `[0.3,0.7]`),
			},
		},
		{
			name: "multiclass",
			obs:  obs(ms.multi, 2, 3, []float64{0.1, 0.7, 0.2, math.NaN(), 0.5, 0.5}, []int{1, 2}),
			want: []mlw.Prediction{
				rec(ms.multi, 0, row0, "b", 0.7, `[0.1,0.7,0.2]`), // Score: P(predicted class)
				rec(ms.multi, 1, row1, "c", 0.5, `[null,0.5,0.5]`),
			},
		},
		{
			name: "regression",
			obs:  regObs,
			want: []mlw.Prediction{
				rec(ms.reg, 0, row0, "12.5", 12.5, ""),
				rec(ms.reg, 1, row1, "1e+21", 1e21, ""),
				rec(ms.reg, 2, row0, "NaN", 0, ""), // not finite: Score 0, the text in Output
				rec(ms.reg, 3, row1, "-Inf", 0, ""),
				rec(ms.reg, 4, row0, "1234567", 1234567, ""),
				rec(ms.reg, 5, row1, "1e-7", 1e-7, ""),
				rec(ms.reg, 6, row0, "-0.1", -0.1, ""),
			},
		},
		{
			name: "failed request",
			obs: &serve.Observation{
				Time: testTime, Endpoint: "ep", Variant: "primary", Model: ms.binary.Ref(), Source: ms.binary, RequestID: "req-7",
				Duration: 250 * time.Microsecond, Err: mlw.Errorf(mlw.EINVALID, "row 0: column plan appears twice"), Width: 2,
			},
			want: []mlw.Prediction{func() mlw.Prediction {
				r := base(ms.binary)
				r.Error = "row 0: column plan appears twice"
				return r
			}()},
		},
		{
			name: "failed shadow with NUL and invalid UTF-8 in the error",
			obs: &serve.Observation{
				Time: testTime, Endpoint: "ep", Variant: "primary", Model: ms.binary.Ref(), Source: ms.binary, RequestID: "req-7",
				Shadow: true, Duration: 250 * time.Microsecond, Err: mlw.Errorf(mlw.EINVALID, "column a\x00b\xff is missing"), Width: 2,
			},
			want: []mlw.Prediction{func() mlw.Prediction {
				r := base(ms.binary)
				r.Shadow, r.Error = true, "column a\uFFFDb\uFFFD is missing"
				return r
			}()},
		},
		{
			name: "shadow",
			obs: func() *serve.Observation {
				o := obs(ms.binary, 1, 2, []float64{0.4, 0.6}, []int{1})
				o.Shadow = true
				return o
			}(),
			want: []mlw.Prediction{func() mlw.Prediction {
				r := rec(ms.binary, 0, row0, "churns", 0.6, `[0.4,0.6]`)
				r.Shadow = true
				return r
			}()},
		},
		{
			name: "no source: name and version from the reference",
			obs: func() *serve.Observation {
				o := obs(ms.binary, 1, 2, []float64{0.4, 0.6}, []int{1})
				o.Source, o.Model = nil, "churn@7"
				return o
			}(),
			want: []mlw.Prediction{func() mlw.Prediction {
				r := rec(ms.binary, 0, row0, "1", 0.6, `[0.4,0.6]`) // no labels: the class code
				r.Version = 7
				return r
			}()},
		},
		{
			name: "no rows",
			obs:  obs(ms.binary, 0, 2, nil, nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, logAll(t, tt.obs))
		})
	}
}

func TestObserveKeepsNothing(t *testing.T) {
	t.Parallel()
	o := wideObservation(sharedWide(t), 300, true) // more than one segment
	want := logAll(t, o)
	require.Len(t, want, 300)

	// The server reuses its buffers once Observe returns: records written
	// later must not change.
	sink := &fakeSink{}
	l := newLogger(t, sink, Config{})
	l.Observe(o)
	for i := range o.Inputs {
		o.Inputs[i] = feature.Value{Str: "overwritten", IsStr: true}
	}
	for i := range o.Outputs {
		o.Outputs[i] = -1
	}
	for i := range o.Classes {
		o.Classes[i] = 0
	}
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, want, sink.records())
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\x00b\xffc", 100, "a\uFFFDb\uFFFDc"},
		{"abcdef", 3, "abc"},
		{"aéé", 4, "aé"}, // é is 2 bytes: "aé" and half of the next
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, cleanText(tt.in, tt.n), "%q", tt.in)
	}
}
