package gbdt

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// missingProblem is synthClassification with about a tenth of the values
// missing and a few infinite, so that splits send missing values both ways.
func missingProblem(t testing.TB, n, cols int, classes int) *model.Problem {
	t.Helper()
	p := synthClassification(t, n, cols, 2)
	r := newRNG(8, 8)
	for i := range p.X.Data {
		switch r.intn(40) {
		case 0, 1, 2, 3:
			p.X.Data[i] = math.NaN()
		case 4:
			p.X.Data[i] = math.Inf(1)
		case 5:
			p.X.Data[i] = math.Inf(-1)
		}
	}
	if classes > 2 {
		p.Task, p.Classes = model.MulticlassClassification, classes
		for i := range p.Y {
			p.Y[i] = float64(i % classes)
		}
	}
	return p
}

// generalWalkModel returns a copy of m that predicts with the general walk.
func generalWalkModel(m *Model) *Model {
	g := *m
	g.fit.plan.fast = nil
	return &g
}

// TestFastWalkAgrees checks the fast walk (assembly and Go, one row and
// many) against the general walk on the model's own nodes, missing and
// infinite values included: every lane reaches the same leaf.
func TestFastWalkAgrees(t *testing.T) {
	t.Parallel()
	p := missingProblem(t, 3000, 6, 2)
	var m Model
	m.MaxIter = 20
	require.NoError(t, m.Fit(context.Background(), p))
	f := &m.fit
	require.Empty(t, f.bitsets)
	require.NotNil(t, f.plan.fast)
	dirs := map[bool]int{}
	for i, nd := range f.nodes {
		if nd.left != int32(i) {
			dirs[nd.missingLeft]++
		}
	}
	require.Positive(t, dirs[true], "no split sends missing values left")
	require.Positive(t, dirs[false], "no split sends missing values right")

	nf := p.X.Cols
	w := expanded(nf)
	xx := make([]float64, lanes*w)
	for i := 0; i+lanes <= 1024; i += lanes {
		var offs, xoffs [lanes]int
		for l := range offs {
			offs[l] = (i + l) * nf
			xoffs[l] = l * w
			expand(xx[xoffs[l]:], p.X.Row(i+l))
		}
		for ti, root := range f.roots {
			var want, fast, fastGo, row, rowGo [lanes]int32
			for l := range want {
				want[l], fast[l], fastGo[l] = root, root, root
			}
			walk(f.nodes, f.bitsets, &want, p.X.Data, &offs, f.depth[ti])
			walkFast(f.plan.fast, &fast, xx, &xoffs, f.depth[ti])
			walkFastGo(f.plan.fast, &fastGo, xx, &xoffs, f.depth[ti])
			require.Equal(t, want, fastGo, "rows %d.., tree %d", i, ti)
			require.Equal(t, want, fast, "rows %d.., tree %d", i, ti)
			for l, j := range want {
				require.Equal(t, j, f.nodes[j].left, "lane %d is not at a leaf", l)
				// One row in every lane: lane l's row, walked alone.
				for k := range row {
					row[k], rowGo[k] = root, root
				}
				var zero [lanes]int
				walkRow(f.plan.fast, &row, xx[xoffs[l]:xoffs[l]+w], f.depth[ti])
				walkFastGo(f.plan.fast, &rowGo, xx[xoffs[l]:xoffs[l]+w], &zero, f.depth[ti])
				require.Equal(t, row, rowGo)
				require.Equal(t, j, row[0], "row %d alone, tree %d", i+l, ti)
			}
		}
	}
}

// TestPredictSumsInTreeOrder checks predictions, one row and in blocks,
// with the fast and the general walk, bit for bit against the sum of
// treeValue over the trees in tree order, for models with more trees per
// output than one chunk of the plan holds.
func TestPredictSumsInTreeOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		classes int
		iters   int
	}{
		{"binary", 2, chunkTrees + 40},
		{"multiclass", 3, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := missingProblem(t, 600, 5, tc.classes)
			var m Model
			m.MaxIter, m.EarlyStopping, m.MaxLeafNodes = tc.iters, EarlyStoppingOff, 8
			require.NoError(t, m.Fit(context.Background(), p))
			f := &m.fit
			require.Equal(t, tc.iters, f.nIter)
			require.NotNil(t, f.plan.fast)
			k := f.nOut
			want := make([]float64, p.X.Rows*m.Outputs())
			for i := range p.X.Rows {
				raw := make([]float64, k)
				for c := range k {
					raw[c] = f.baseline[c]
					for t := c; t < len(f.roots); t += k {
						raw[c] += treeValue(f.nodes, f.bitsets, f.roots[t], p.X.Row(i))
					}
				}
				o := want[i*m.Outputs() : (i+1)*m.Outputs()]
				if k == 1 {
					f.output(o, raw[0])
				} else {
					copy(o, raw)
					softmax(o)
				}
			}
			for name, mm := range map[string]*Model{"fast": &m, "general": generalWalkModel(&m)} {
				require.Equal(t, want, mm.PredictTo(nil, p.X), "%s walk, blocks", name)
				for i := range p.X.Rows {
					one := mm.PredictTo(nil, model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(i)})
					require.Equal(t, want[i*m.Outputs():(i+1)*m.Outputs()], one, "%s walk, row %d", name, i)
				}
			}
		})
	}
}

// TestFastNodesRuleOut checks the nodes the fast walk cannot read as the
// node says, and the expansion of rows.
func TestFastNodesRuleOut(t *testing.T) {
	t.Parallel()
	leaf := func(i int32) node { return leafNode(i, 1) }
	split := func(thr float64, missingLeft bool) []node {
		return []node{{thr: thr, feature: 1, left: 1, cat: -1, missingLeft: missingLeft}, leaf(1), leaf(2)}
	}
	for _, tc := range []struct {
		name  string
		nodes []node
		fast  bool
	}{
		{"finite", split(0.5, false), true},
		{"-Inf threshold", split(math.Inf(-1), false), true},
		{"+Inf threshold, missing left", split(math.Inf(1), true), true},
		{"+Inf threshold, missing right", split(math.Inf(1), false), true},
		{"largest threshold, missing right", split(math.MaxFloat64, false), false},
		{"largest threshold, missing left", split(math.MaxFloat64, true), true},
		{"NaN threshold", split(math.NaN(), true), false},
		{"categorical", []node{{feature: 0, left: 1, cat: 0}, leaf(1), leaf(2)}, false},
	} {
		fast := fastNodes(tc.nodes, 3)
		require.Equal(t, tc.fast, fast != nil, tc.name)
		if fast == nil {
			continue
		}
		want := int32(1)
		if !tc.nodes[0].missingLeft {
			want = 4
		}
		require.Equal(t, want, fast[0].feat, "%s: the copy of feature 1 it reads", tc.name)
		if thr := tc.nodes[0].thr; math.IsInf(thr, 1) && !tc.nodes[0].missingLeft {
			require.Equal(t, math.MaxFloat64, fast[0].thr, tc.name)
		} else {
			require.Equal(t, thr, fast[0].thr, tc.name)
		}
		require.Equal(t, fastNode{thr: 1, feat: 6, left: 2}, fast[2], tc.name)
	}
	got := make([]float64, 7)
	expand(got, []float64{math.NaN(), math.Inf(1), -2})
	require.Equal(t, []float64{math.Inf(-1), math.Inf(1), -2, math.Inf(1), math.MaxFloat64, -2, math.Inf(-1)}, got)
}
