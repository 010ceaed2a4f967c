package profile

import (
	"math"
	"math/rand/v2"
	"slices"

	"mlw.dev/frame"
)

// Compute profiles f: it summarises every column, counts duplicate rows,
// computes the correlation and association matrices, relates every feature to
// the target named in opts, and lists the findings. See the package
// documentation for the definitions.
//
// Options that name columns the frame lacks raise an unknown_column finding
// and are otherwise ignored. Compute works on one sort per column and runs
// its steps on a pool of opts.Workers goroutines; it does not modify f, and
// it panics if f has 2³¹−1 rows or more, or if opts.Bins or opts.SampleRows
// is negative.
func Compute(f *frame.Frame, opts Options) *Profile {
	if opts.Bins < 0 || opts.SampleRows < 0 {
		panic("profile: negative Options.Bins or Options.SampleRows")
	}
	o := opts.withDefaults()
	p := &Profile{
		Columns: []Column{}, ConstantColumns: []string{}, NearConstantColumns: []string{},
		HighCardinality: []string{}, IDLike: []string{}, Findings: []Finding{}, Thresholds: o.Thresholds,
		Correlations: Correlations{Pearson: emptyMatrix(), Spearman: emptyMatrix()}, CramersV: emptyMatrix(),
	}
	if o.SampleRows > 0 && o.SampleRows < f.NumRows() {
		p.SampledFrom = f.NumRows()
		f = f.Take(sampleRows(f.NumRows(), o.SampleRows, o.Seed))
	}
	rows := f.NumRows()
	if rows >= math.MaxInt32 {
		panic("profile: 2^31-1 rows or more")
	}
	p.Rows = rows
	var fs findings

	// Roles named in the options.
	roles := map[string]Role{}
	kinds := map[string]frame.Kind{}
	known := func(name, what string) bool {
		if f.ColumnIndex(name) >= 0 {
			return true
		}
		fs.add(SeverityError, CheckUnknownColumn, nil, nan, "the %s column %q is not in the data", what, name)
		return false
	}
	for _, id := range o.IDs {
		if id != "" && known(id, "id") {
			roles[id], kinds[id] = RoleID, frame.KindID
		}
	}
	if o.Time != "" && known(o.Time, "time") {
		roles[o.Time] = RoleTime
	}
	hasTarget := o.Target != "" && known(o.Target, "target")
	if hasTarget {
		roles[o.Target] = RoleTarget
		delete(kinds, o.Target)
	}
	schema := frame.InferSchema(f, frame.SchemaOptions{Kinds: kinds})

	cols := make([]*colData, f.NumCols())
	needs := make([]need, len(cols))
	for i := range cols {
		cd := &colData{name: f.Name(i), col: f.ColumnAt(i), kind: schema.Fields[i].Kind}
		cd.role = roles[cd.name]
		cols[i] = cd
		switch {
		case cd.role == RoleTarget:
			needs[i] = need{ranks: cd.corrCandidate(), mi: true, target: true, task: o.Task}
		default:
			feature := hasTarget && cd.featureCandidate()
			needs[i] = need{ranks: cd.corrCandidate() || feature && cd.col.Type() == frame.TypeNumeric, mi: feature}
		}
	}

	// Phase 1: one task per column, and the duplicate rows.
	scr := make([]scratch, o.Workers)
	parallel(o.Workers, len(cols)+1, func(w, i int) {
		if i == 0 {
			p.DuplicateRows, p.DuplicateRowsIgnoringIDs = duplicates(f, cols)
			return
		}
		cols[i-1].compute(rows, o.Bins, needs[i-1], &scr[w])
	})
	for w := range scr {
		scr[w].keys, scr[w].tk, scr[w].idx, scr[w].ti, scr[w].sorted = nil, nil, nil, nil, nil
	}
	for _, cd := range cols {
		p.Columns = append(p.Columns, cd.out)
	}

	// Phase 2: correlations, associations and target relations.
	var tasks []func(w int)
	var numeric, complete []*colData
	for _, cd := range cols {
		if cd.corrCandidate() && cd.rank2 != nil {
			numeric = append(numeric, cd)
			if cd.finite == rows {
				complete = append(complete, cd)
			}
		}
	}
	g := newGram(complete, rows, o.Workers)
	for c := range g.chunks() {
		tasks = append(tasks, func(w int) { g.run(w, c) })
	}
	type pair struct {
		a, b      *colData
		r, rho, v float64
	}
	var corrPairs []*pair
	for i, a := range numeric {
		for _, b := range numeric[i+1:] {
			if a.finite == rows && b.finite == rows {
				continue
			}
			pr := &pair{a: a, b: b}
			corrPairs = append(corrPairs, pr)
			tasks = append(tasks, func(w int) {
				pr.r, pr.rho = pairCorr(pr.a, pr.b, &scr[w])
			})
		}
	}
	var discrete []*colData
	for _, cd := range cols {
		if cd.associationCandidate() {
			discrete = append(discrete, cd)
		}
	}
	var assocPairs []*pair
	for i, a := range discrete {
		for _, b := range discrete[i+1:] {
			pr := &pair{a: a, b: b}
			assocPairs = append(assocPairs, pr)
			tasks = append(tasks, func(int) { pr.v = cramersV(pr.a, pr.b) })
		}
	}
	var td *targetData
	var relations []Relation
	if hasTarget {
		tcd := cols[f.ColumnIndex(o.Target)]
		var finding *Finding
		td, p.Target, finding = prepareTarget(tcd)
		if finding != nil {
			fs.list = append(fs.list, *finding)
		}
		if td != nil && !td.constant() {
			var features []*colData
			for i, cd := range cols {
				if needs[i].mi && !needs[i].target {
					features = append(features, cd)
				}
			}
			relations = make([]Relation, len(features))
			for j, cd := range features {
				tasks = append(tasks, func(w int) { relations[j] = td.relate(cd, &scr[w]) })
			}
		}
	}
	parallel(o.Workers, len(tasks), func(w, i int) { tasks[i](w) })

	// Assemble the matrices.
	names := func(cs []*colData) []string {
		out := make([]string, len(cs))
		for i, cd := range cs {
			out[i] = cd.name
		}
		return out
	}
	if len(numeric) > 0 {
		at := make(map[*colData]int, len(numeric))
		for i, cd := range numeric {
			at[cd] = i
		}
		pm, sm := identity(len(numeric)), identity(len(numeric))
		gp, gs := g.result()
		for i, a := range complete {
			for j, b := range complete {
				pm[at[a]][at[b]], sm[at[a]][at[b]] = Float(gp[i][j]), Float(gs[i][j])
			}
		}
		for _, pr := range corrPairs {
			i, j := at[pr.a], at[pr.b]
			pm[i][j], pm[j][i] = Float(pr.r), Float(pr.r)
			sm[i][j], sm[j][i] = Float(pr.rho), Float(pr.rho)
		}
		for i, cd := range numeric {
			if cd.out.Distinct < 2 {
				pm[i][i], sm[i][i] = Float(nan), Float(nan)
			}
		}
		p.Correlations.Pearson = Matrix{Columns: names(numeric), Values: pm}
		p.Correlations.Spearman = Matrix{Columns: names(numeric), Values: sm}
	}
	if len(discrete) > 0 {
		at := make(map[*colData]int, len(discrete))
		for i, cd := range discrete {
			at[cd] = i
		}
		vm := identity(len(discrete))
		for _, pr := range assocPairs {
			i, j := at[pr.a], at[pr.b]
			vm[i][j], vm[j][i] = Float(pr.v), Float(pr.v)
		}
		p.CramersV = Matrix{Columns: names(discrete), Values: vm}
	}
	if p.Target != nil {
		p.Target.Features = append(p.Target.Features, relations...)
	}

	fs.check(p, cols, td)
	p.Findings = fs.sorted()
	return p
}

func emptyMatrix() Matrix { return Matrix{Columns: []string{}, Values: [][]Float{}} }

// identity returns a k×k matrix with ones on the diagonal.
func identity(k int) [][]Float {
	m := make([][]Float, k)
	for i := range m {
		m[i] = make([]Float, k)
		m[i][i] = 1
	}
	return m
}

// sampleRows draws k of n row indices without replacement, in increasing
// order.
func sampleRows(n, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	perm := rng.Perm(n)[:k]
	slices.Sort(perm)
	return perm
}

// duplicates counts the rows equal to an earlier row, over all columns and
// over the columns that are not ids.
func duplicates(f *frame.Frame, cols []*colData) (all, ignoringIDs int) {
	all = countDuplicates(f.RowHashes())
	var ids []string
	for _, cd := range cols {
		if cd.kind == frame.KindID {
			ids = append(ids, cd.name)
		}
	}
	if len(ids) == 0 {
		return all, all
	}
	rest, err := f.Drop(ids...)
	if err != nil || rest.NumCols() == 0 {
		return all, all
	}
	return all, countDuplicates(rest.RowHashes())
}

func countDuplicates(h []uint64) int {
	slices.Sort(h)
	d := 0
	for i := 1; i < len(h); i++ {
		if h[i] == h[i-1] {
			d++
		}
	}
	return d
}
