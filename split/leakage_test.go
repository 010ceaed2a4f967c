package split_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/split"
)

// testData is a clean support-ticket table: distinct event times, unique
// ids, continuous features that predict the churn target only weakly, and a
// categorical feature whose categories all occur in every part. Cases
// replace or add columns to plant one leak each.
type testData struct {
	n     int
	names []string
	cols  map[string]frame.Column
	t     []int64   // event time, shuffled
	y     []string  // "yes" or "no"
	x1    []float64 // weakly predictive
	x2    []float64 // noise
	city  []string
}

func newTestData(n int, seed uint64) *testData {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &testData{n: n, cols: make(map[string]frame.Column)}
	id := make([]float64, n)
	d.t = make([]int64, n)
	d.y = make([]string, n)
	d.x1 = make([]float64, n)
	d.x2 = make([]float64, n)
	d.city = make([]string, n)
	perm := rng.Perm(n)
	base := int64(1_700_000_000) * 1e9
	for i := range n {
		id[i] = float64(100000 + i)
		d.t[i] = base + int64(perm[i])*3600e9
		d.x1[i] = rng.NormFloat64()
		d.x2[i] = rng.NormFloat64()
		d.city[i] = []string{"Lyon", "Oslo", "Rome", "Lima"}[rng.IntN(4)]
		if d.x1[i]+rng.NormFloat64() > 0 {
			d.y[i] = "yes"
		} else {
			d.y[i] = "no"
		}
	}
	d.set("ticket_id", frame.NewNumeric(id))
	d.set("t", frame.NewDatetime(d.t))
	d.set("x1", frame.NewNumeric(d.x1))
	d.set("x2", frame.NewNumeric(d.x2))
	d.set("city", frame.NewCategoricalFromStrings(d.city, nil))
	d.set("churn", frame.NewCategoricalFromStrings(d.y, nil))
	return d
}

// set adds or replaces a column.
func (d *testData) set(name string, col frame.Column) {
	if _, ok := d.cols[name]; !ok {
		d.names = append(d.names, name)
	}
	d.cols[name] = col
}

func (d *testData) frame(tb testing.TB) *frame.Frame {
	tb.Helper()
	cols := make([]frame.Column, len(d.names))
	for i, name := range d.names {
		cols[i] = d.cols[name]
	}
	f, err := frame.New(d.names, cols)
	require.NoError(tb, err)
	return f
}

// timeSplit splits d by its event time, which no check can fault.
func (d *testData) timeSplit(tb testing.TB) *split.Assignment {
	tb.Helper()
	return mustSplit(tb, d.frame(tb), split.Config{Strategy: split.Time, By: "t"})
}

var defaultRoles = split.Roles{Target: "churn", Time: "t", ID: "ticket_id"}

// want describes an expected finding; Message is a substring.
type want struct {
	Check    string
	Severity split.Severity
	Column   string
	Part     string
	Message  string
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const n = 2000
	tests := []struct {
		name  string
		build func(t *testing.T, d *testData) (*split.Assignment, split.Roles)
		want  []want
	}{
		{
			name: "clean",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				// An id-like text column must not look like a target leak.
				refs := make([]string, d.n)
				for i := range refs {
					refs[i] = "REF-" + strconv.Itoa(i*7919%100003)
				}
				d.set("ref", frame.NewText(refs, nil))
				return d.timeSplit(t), defaultRoles
			},
		},
		{
			name: "leaky numeric column",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				// refund_issued is the target with 1 row in 1000 flipped.
				v := make([]float64, d.n)
				for i, y := range d.y {
					if (y == "yes") != (i%1000 == 0) {
						v[i] = 1
					}
				}
				d.set("refund_issued", frame.NewNumeric(v))
				return d.timeSplit(t), defaultRoles
			},
			want: []want{{split.CheckTargetLeak, split.SeverityError, "refund_issued", "train",
				"refund_issued alone predicts the target with ROC AUC 0.99"}},
		},
		{
			name: "leaky categorical and missingness",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				status := make([]string, d.n)
				chargeback := make([]float64, d.n)
				rng := rand.New(rand.NewPCG(1, 1))
				for i, y := range d.y {
					status[i] = []string{"open", "pending"}[i%2]
					chargeback[i] = math.NaN()
					if y == "yes" {
						status[i] = []string{"closed-refund", "closed-churn"}[i%2]
						chargeback[i] = rng.Float64() * 100 // present only for churners
					}
				}
				d.set("status", frame.NewCategoricalFromStrings(status, nil))
				d.set("chargeback", frame.NewNumeric(chargeback))
				return d.timeSplit(t), defaultRoles
			},
			want: []want{
				{split.CheckTargetLeak, split.SeverityError, "status", "train", "status alone predicts the target with ROC AUC 1.000: likely leakage"},
				{split.CheckTargetLeak, split.SeverityError, "chargeback", "train", "chargeback alone predicts the target with ROC AUC 1.000"},
			},
		},
		{
			name: "15% of test rows copied into train",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				a := d.timeSplit(t)
				copyRows(d, a.Rows(split.Test), a.Rows(split.Train), 0.15)
				copyRows(d, a.Rows(split.Validation), a.Rows(split.Train)[1000:], 0.05)
				return a, defaultRoles
			},
			want: []want{
				{split.CheckDuplicateRows, split.SeverityWarning, "", "validation", "5% of validation rows (15 of 300)"},
				{split.CheckDuplicateRows, split.SeverityError, "", "test", "15% of test rows (45 of 300) have the same features as a training row"},
			},
		},
		{
			name: "shared ids",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				a := d.timeSplit(t)
				id := slicesClone(d.cols["ticket_id"].(*frame.Numeric).Values())
				train, test := a.Rows(split.Train), a.Rows(split.Test)
				for k := range 60 { // 20% of the 300 test rows
					id[test[k]] = id[train[k]]
				}
				d.set("ticket_id", frame.NewNumeric(id))
				return a, defaultRoles
			},
			want: []want{{split.CheckSharedID, split.SeverityError, "ticket_id", "test",
				`20% of test rows (60 of 300) have id "ticket_id" values that also occur in train (60 shared values`}},
		},
		{
			name: "groups across parts",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				customer := make([]string, d.n)
				for i := range customer {
					customer[i] = "cust" + strconv.Itoa(i/4)
				}
				d.set("customer", frame.NewCategoricalFromStrings(customer, nil))
				roles := defaultRoles
				roles.Group = "customer"
				return d.timeSplit(t), roles
			},
			want: []want{
				{split.CheckSharedGroup, split.SeverityError, "customer", "validation", `have group "customer" values that also occur in train`},
				{split.CheckSharedGroup, split.SeverityError, "customer", "test", `have group "customer" values that also occur in train`},
				{split.CheckSharedGroup, split.SeverityWarning, "customer", "test", `have group "customer" values that also occur in validation`},
			},
		},
		{
			name: "group split keeps groups apart",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				customer := make([]string, d.n)
				for i := range customer {
					customer[i] = "cust" + strconv.Itoa(i/4)
				}
				d.set("customer", frame.NewCategoricalFromStrings(customer, nil))
				roles := defaultRoles
				roles.Group = "customer"
				roles.Time = "" // a group split is not time-ordered
				return mustSplit(t, d.frame(t), split.Config{Strategy: split.Group, By: "customer", Seed: 3}), roles
			},
		},
		{
			name: "random split of time-ordered data",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				return mustSplit(t, d.frame(t), split.Config{Seed: 1}), defaultRoles
			},
			want: []want{
				{split.CheckTimeOverlap, split.SeverityWarning, "t", "validation", `a random split of time-ordered data ("t"): `},
				{split.CheckTimeOverlap, split.SeverityWarning, "t", "test", `of test rows (`},
			},
		},
		{
			name: "post-event datetime feature",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				closed := make([]int64, d.n)
				opened := make([]int64, d.n)
				for i, ti := range d.t {
					opened[i] = ti - int64(1+i%50)*86400e9
					closed[i] = ti - 3600e9
					if i%4 == 0 {
						closed[i] = ti + 86400e9 // 25% recorded after the event
					}
					if i%10 == 0 {
						closed[i] = frame.NaT
					}
				}
				d.set("opened_at", frame.NewDatetime(opened))
				d.set("closed_at", frame.NewDatetime(closed))
				return d.timeSplit(t), defaultRoles
			},
			want: []want{{split.CheckFutureFeature, split.SeverityError, "closed_at", "",
				`closed_at is later than the event time "t" in 22.2% of rows (400 of 1800, for example row 4: `}},
		},
		{
			name: "unseen categories and labels",
			build: func(t *testing.T, d *testData) (*split.Assignment, split.Roles) {
				a := d.timeSplit(t)
				city := slicesClone(d.city)
				y := slicesClone(d.y)
				for k, row := range a.Rows(split.Test) {
					switch k % 50 {
					case 0:
						city[row] = "Quito"
					case 1:
						city[row] = "Accra"
					case 2:
						y[row] = "maybe"
					}
				}
				d.set("city", frame.NewCategoricalFromStrings(city, nil))
				d.set("churn", frame.NewCategoricalFromStrings(y, nil))
				return a, defaultRoles
			},
			want: []want{
				{split.CheckUnseenCategory, split.SeverityWarning, "city", "test",
					`2 categories of "city" in test never occur in train ("Accra", "Quito"), on 4% of test rows (12 of 300): the model has not learned them`},
				{split.CheckUnseenLabel, split.SeverityWarning, "churn", "test",
					`1 target labels in test never occur in train ("maybe"), on 2% of test rows (6 of 300): the model cannot predict them`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newTestData(n, 1)
			a, roles := tt.build(t, d)
			f := d.frame(t)
			report, err := split.Check(f, a, roles)
			require.NoError(t, err)
			var got []want
			for _, fd := range report.Findings {
				got = append(got, want{fd.Check, fd.Severity, fd.Column, fd.Part, fd.Message})
				if fd.Check != split.CheckTargetLeak {
					require.NotEmpty(t, fd.Rows, "%s: example rows", fd.Check)
					require.LessOrEqual(t, len(fd.Rows), 5)
				}
				require.InDelta(t, float64(fd.Count)/float64(fd.Total), fd.Share, 1e-12)
			}
			require.Len(t, got, len(tt.want), "findings: %+v", report.Findings)
			for k, w := range tt.want {
				require.Equal(t, w.Check, got[k].Check)
				require.Equal(t, w.Severity, got[k].Severity, got[k].Message)
				require.Equal(t, w.Column, got[k].Column)
				require.Equal(t, w.Part, got[k].Part)
				require.Contains(t, got[k].Message, w.Message)
			}
			errors := 0
			for _, w := range tt.want {
				if w.Severity == split.SeverityError {
					errors++
				}
			}
			require.Equal(t, errors, report.Errors)
		})
	}
}

// copyRows copies the features of share of the rows of from into as many
// rows of to, so that they become duplicates across parts.
func copyRows(d *testData, from, to []int, share float64) {
	m := int(math.Round(share * float64(len(from))))
	city := d.city
	for k := range m {
		src, dst := from[k], to[k]
		d.x1[dst], d.x2[dst], city[dst] = d.x1[src], d.x2[src], city[src]
	}
	d.set("x1", frame.NewNumeric(d.x1))
	d.set("x2", frame.NewNumeric(d.x2))
	d.set("city", frame.NewCategoricalFromStrings(city, nil))
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

func TestCheckTargetLeakTasks(t *testing.T) {
	t.Parallel()
	const n = 3000
	rng := rand.New(rand.NewPCG(8, 9))
	amount := make([]float64, n)
	double := make([]float64, n) // amount * 2 + tiny noise: linear leak
	weak := make([]float64, n)
	tier := make([]string, n) // amount is set by the tier: per-category leak
	class := make([]string, n)
	dept := make([]float64, n)   // a coded copy of the class: multiclass leak
	cfirst := make([]float64, n) // separates only class "c": no leak
	for i := range n {
		k := rng.IntN(5)
		tier[i] = "tier" + strconv.Itoa(k)
		amount[i] = float64(k*100) + rng.Float64()
		double[i] = 2*amount[i] + rng.Float64()*0.1
		weak[i] = amount[i] + rng.NormFloat64()*300
		ci := rng.IntN(3)
		class[i] = []string{"a", "b", "c"}[ci]
		// dept codes the class (a coded copy of the label: a leak), while
		// cfirst only separates class "c" from the rest (a naturally
		// separable class, like iris setosa by petal length: no leak).
		dept[i] = float64(ci) + 0.5*rng.Float64()
		cfirst[i] = rng.Float64()
		if class[i] == "c" {
			cfirst[i] += 1
		}
	}
	f := mustFrame(t,
		"amount", frame.NewNumeric(amount),
		"double", frame.NewNumeric(double),
		"weak", frame.NewNumeric(weak),
		"tier", frame.NewCategoricalFromStrings(tier, nil),
		"class", frame.NewCategoricalFromStrings(class, nil),
		"dept", frame.NewNumeric(dept),
		"cfirst", frame.NewNumeric(cfirst),
	)
	a := mustSplit(t, f, split.Config{Seed: 4})
	leaks := func(r *split.Report) map[string]string {
		m := map[string]string{}
		for _, fd := range r.Findings {
			if fd.Check == split.CheckTargetLeak {
				m[fd.Column] = fd.Message
			}
		}
		return m
	}
	t.Run("regression", func(t *testing.T) {
		t.Parallel()
		r, err := split.Check(f, a, split.Roles{Target: "amount", Ignore: []string{"class", "dept", "cfirst"}})
		require.NoError(t, err)
		got := leaks(r)
		require.Len(t, got, 2, "%v", got)
		require.Regexp(t, `^double alone predicts the target with R² 1\.000 \(linear fit\): likely leakage$`, got["double"])
		require.Regexp(t, `^tier alone predicts the target with R² 1\.000 \(per-category means\): likely leakage$`, got["tier"])
	})
	t.Run("binary numeric target", func(t *testing.T) {
		t.Parallel()
		// A 0/1 numeric target is classification unless Task says otherwise.
		y := make([]float64, n)
		x := make([]float64, n)
		for i := range y {
			y[i] = float64(i % 2)
			x[i] = y[i]*10 + float64(i%7)
		}
		g := mustFrame(t, "y", frame.NewNumeric(y), "x", frame.NewNumeric(x))
		r, err := split.Check(g, a, split.Roles{Target: "y"})
		require.NoError(t, err)
		require.Equal(t, "x alone predicts the target with ROC AUC 1.000: likely leakage", leaks(r)["x"])
		r, err = split.Check(g, a, split.Roles{Target: "y", Task: split.Regression})
		require.NoError(t, err)
		require.Empty(t, leaks(r), "a line through x explains only 25/29 of the variance of y")
	})
	t.Run("multiclass", func(t *testing.T) {
		t.Parallel()
		r, err := split.Check(f, a, split.Roles{Target: "class", Task: split.Classification})
		require.NoError(t, err)
		got := leaks(r)
		require.Len(t, got, 1, "%v", got)
		require.Regexp(t, `^dept alone predicts every class of the target \(one-vs-rest ROC AUC at least 0\.99\d\): likely leakage$`, got["dept"])
	})
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	d := newTestData(100, 2)
	f := d.frame(t)
	a := mustSplit(t, f, split.Config{})
	short, err := split.NewAssignment(make([]split.Part, 99))
	require.NoError(t, err)
	tests := []struct {
		name    string
		a       *split.Assignment
		roles   split.Roles
		wantErr string
	}{
		{"length", short, split.Roles{}, "split: check: the assignment has 99 rows, the frame 100"},
		{"target", a, split.Roles{Target: "label"}, `split: check: target column "label": no such column`},
		{"ignored", a, split.Roles{Ignore: []string{"notes"}}, `split: check: ignored column "notes": no such column`},
		{"time type", a, split.Roles{Time: "city"}, `split: check: time column "city" is categorical, want datetime or numeric`},
		{"regression target", a, split.Roles{Target: "churn", Task: split.Regression}, `split: check: regression target "churn" is categorical, want numeric`},
		{"task", a, split.Roles{Target: "churn", Task: "ranking"}, `split: check: unknown task "ranking" (want classification or regression)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := split.Check(f, tt.a, tt.roles)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	d := newTestData(400, 3)
	f := d.frame(t)
	a := mustSplit(t, f, split.Config{Seed: 2})
	report, err := split.Check(f, a, defaultRoles)
	require.NoError(t, err)
	require.Equal(t, []string{"duplicate_rows", "shared_id", "time_overlap", "future_feature", "target_leak",
		"unseen_category", "unseen_label"}, report.Checks)
	require.Equal(t, 2, report.Warnings, "time overlap in validation and test")
	b, err := json.Marshal(report)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(b, &generic))
	require.ElementsMatch(t, []string{"checks", "findings", "errors", "warnings"}, keys(generic))
	fd := generic["findings"].([]any)[0].(map[string]any)
	require.ElementsMatch(t, []string{"check", "severity", "column", "part", "message", "count", "total", "share", "rows"}, keys(fd))
	require.Equal(t, "time_overlap", fd["check"])
	require.Equal(t, "warning", fd["severity"])

	// An empty report has empty lists, not nulls.
	clean, err := split.Check(seqFrame(t, 10), mustSplit(t, seqFrame(t, 10), split.Config{Strategy: split.Time, By: "x"}), split.Roles{})
	require.NoError(t, err)
	b, err = json.Marshal(clean)
	require.NoError(t, err)
	require.JSONEq(t, `{"checks":["duplicate_rows","unseen_category"],"findings":[],"errors":0,"warnings":0}`, string(b))

	b, err = json.Marshal(a)
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{"strategy":"random","counts":{"train":%d,"validation":%d,"test":%d}}`,
		a.Counts.Train, a.Counts.Validation, a.Counts.Test), string(b))
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

func TestCheckIncludesNotes(t *testing.T) {
	t.Parallel()
	y := []string{"rare"}
	for i := range 99 {
		y = append(y, []string{"a", "b"}[i%2])
	}
	f := mustFrame(t, "y", frame.NewCategoricalFromStrings(y, nil))
	a := mustSplit(t, f, split.Config{Strategy: split.Stratified, By: "y"})
	report, err := split.Check(f, a, split.Roles{Target: "y"})
	require.NoError(t, err)
	require.Equal(t, split.NoteSmallClass, report.Findings[0].Check)
	require.Equal(t, 1, report.Warnings)
}
