package split

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"mlw.dev/frame"
)

// Fold is one round of cross-validation: fit on the Train rows, score on the
// Valid rows. Both hold row numbers of the frame, taken from the rows given
// to the generator.
type Fold struct {
	Train []int `json:"train"`
	Valid []int `json:"valid"`
}

// DefaultFolds is the number of folds when FoldConfig.K is 0.
const DefaultFolds = 5

// FoldConfig configures the fold generators. The zero value asks for
// DefaultFolds folds without shuffling.
type FoldConfig struct {
	// K is the number of folds (TimeSeriesSplit: of splits); 0 means
	// DefaultFolds. It must be at least 2.
	K int `json:"k"`
	// Shuffle shuffles the rows (KFold) or each class's fold labels
	// (StratifiedKFold) with Seed before cutting the folds. GroupKFold and
	// TimeSeriesSplit ignore it, as scikit-learn 1.2 does.
	Shuffle bool `json:"shuffle,omitempty"`
	// Seed seeds the shuffle.
	Seed int64 `json:"seed,omitempty"`
	// MaxTrainSize caps the training rows of each TimeSeriesSplit fold to
	// the most recent ones; 0 means no cap.
	MaxTrainSize int `json:"max_train_size,omitempty"`
	// ValidSize is the number of validation rows of each TimeSeriesSplit
	// fold; 0 means n / (K+1).
	ValidSize int `json:"valid_size,omitempty"`
	// Gap is the number of rows left out between the training and the
	// validation rows of each TimeSeriesSplit fold.
	Gap int `json:"gap,omitempty"`
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c FoldConfig) WithDefaults() FoldConfig {
	if c.K == 0 {
		c.K = DefaultFolds
	}
	return c
}

// Validate returns an error if c, after defaults, is invalid.
func (c FoldConfig) Validate() error {
	c = c.WithDefaults()
	if c.K < 2 {
		return fmt.Errorf("split: %d folds: want at least 2", c.K)
	}
	if c.MaxTrainSize < 0 || c.ValidSize < 0 || c.Gap < 0 {
		return fmt.Errorf("split: max train size, valid size and gap must be >= 0")
	}
	return nil
}

// KFold cuts rows into K consecutive folds, after shuffling them with the
// seed if cfg.Shuffle is set. The first len(rows) % K folds have one row
// more than the others. Within a fold, the Train and Valid rows keep the
// order of rows, as sklearn.model_selection.KFold does. It returns an error
// if there are fewer rows than folds.
func KFold(rows []int, cfg FoldConfig) ([]Fold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	n := len(rows)
	if cfg.K > n {
		return nil, fmt.Errorf("split: %d folds need at least %d rows, have %d", cfg.K, cfg.K, n)
	}
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	if cfg.Shuffle {
		rng := newRand(cfg.Seed)
		rng.Shuffle(n, func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	}
	fold := make([]int, n)
	at := 0
	for k := range cfg.K {
		size := n / cfg.K
		if k < n%cfg.K {
			size++
		}
		for _, i := range pos[at : at+size] {
			fold[i] = k
		}
		at += size
	}
	return foldsFromLabels(rows, fold, cfg.K), nil
}

// StratifiedKFold cuts rows into K folds that each keep the class shares of
// the target column (a missing target is a class of its own), as
// sklearn.model_selection.StratifiedKFold does: classes are numbered in the
// order they first appear in rows, the rows sorted by class are dealt to the
// folds in turn, and each class's rows (in the order of rows) take their
// folds in fold order, or in an order shuffled with the seed if cfg.Shuffle
// is set. A class with fewer than K rows is missing from some folds. Rows
// nil means every row of f. It returns an error if the column is unknown or
// if every class has fewer than K rows.
func StratifiedKFold(f *frame.Frame, target string, rows []int, cfg FoldConfig) ([]Fold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	col := f.Column(target)
	if col == nil {
		return nil, fmt.Errorf("split: stratified folds by %q: %w", target, frame.ErrNoColumn)
	}
	rows = allRows(f, rows)
	k := factorize(col)
	// Number the classes by first appearance.
	enc := make([]int32, k.n+1)
	for i := range enc {
		enc[i] = -1
	}
	y := make([]int, len(rows))
	var count []int
	for i, row := range rows {
		c := k.codes[row]
		if c < 0 {
			c = int32(k.n)
		}
		if enc[c] < 0 {
			enc[c] = int32(len(count))
			count = append(count, 0)
		}
		y[i] = int(enc[c])
		count[y[i]]++
	}
	if len(rows) == 0 || cfg.K > slices.Max(count) {
		return nil, fmt.Errorf("split: %d stratified folds: no class of %q has %d rows", cfg.K, target, cfg.K)
	}
	// alloc[c][j]: rows of class c in fold j, from dealing the rows sorted by
	// class to the folds in turn.
	alloc := make([][]int, len(count))
	at := 0
	for c, nc := range count {
		alloc[c] = make([]int, cfg.K)
		for j := at; j < at+nc; j++ {
			alloc[c][j%cfg.K]++
		}
		at += nc
	}
	var rng *rand.Rand
	if cfg.Shuffle {
		rng = newRand(cfg.Seed)
	}
	labels := make([][]int, len(count))
	for c := range count {
		for j, m := range alloc[c] {
			for range m {
				labels[c] = append(labels[c], j)
			}
		}
		if rng != nil {
			l := labels[c]
			rng.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
		}
	}
	fold := make([]int, len(rows))
	next := make([]int, len(count))
	for i, c := range y {
		fold[i] = labels[c][next[c]]
		next[c]++
	}
	return foldsFromLabels(rows, fold, cfg.K), nil
}

// GroupKFold cuts rows into K folds such that each value of the group column
// (missing being one value) falls in one fold, as
// sklearn.model_selection.GroupKFold does in scikit-learn 1.2: groups are
// taken largest first (equal sizes in decreasing order of value), and each
// goes to the fold with the fewest rows so far (the first on ties). Rows nil
// means every row of f. It returns an error if the column is unknown or has
// fewer than K groups among rows.
func GroupKFold(f *frame.Frame, group string, rows []int, cfg FoldConfig) ([]Fold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	col := f.Column(group)
	if col == nil {
		return nil, fmt.Errorf("split: group folds by %q: %w", group, frame.ErrNoColumn)
	}
	rows = allRows(f, rows)
	k := factorize(col)
	size := make([]int, k.n+1) // missing is group k.n, after every value
	g := make([]int, len(rows))
	for i, row := range rows {
		c := int(k.codes[row])
		if c < 0 {
			c = k.n
		}
		g[i] = c
		size[c]++
	}
	present := 0
	for _, s := range size {
		if s > 0 {
			present++
		}
	}
	if cfg.K > present {
		return nil, fmt.Errorf("split: %d group folds: column %q has only %d groups", cfg.K, group, present)
	}
	// numpy's argsort of the sizes (stable for small inputs), reversed:
	// larger first, and equal sizes in decreasing order of group.
	order := make([]int, len(size))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(size[b], size[a]); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	foldOf := make([]int, len(size))
	load := make([]int, cfg.K)
	for _, grp := range order {
		j := 0
		for m := range load {
			if load[m] < load[j] {
				j = m
			}
		}
		foldOf[grp] = j
		load[j] += size[grp]
	}
	fold := make([]int, len(rows))
	for i, grp := range g {
		fold[i] = foldOf[grp]
	}
	return foldsFromLabels(rows, fold, cfg.K), nil
}

// TimeSeriesSplit returns K expanding-window folds over rows ordered by the
// time column, as sklearn.model_selection.TimeSeriesSplit does over rows
// already in time order: the last K*ValidSize rows are cut into K
// consecutive validation blocks of ValidSize rows (default n/(K+1)), and
// each fold trains on the rows before its block, less Gap rows, and at most
// the MaxTrainSize most recent ones. Rows with equal times keep the order
// of rows, so they may straddle a fold boundary. An empty timeCol means
// rows are already in time order. Train and Valid
// are in time order. Rows nil means every row of f. It returns an error if
// the column is unknown, not datetime or numeric, or has missing values, or
// if there are too few rows for K folds.
func TimeSeriesSplit(f *frame.Frame, timeCol string, rows []int, cfg FoldConfig) ([]Fold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	rows = allRows(f, rows)
	ordered := rows
	if timeCol != "" {
		col := f.Column(timeCol)
		if col == nil {
			return nil, fmt.Errorf("split: time series folds by %q: %w", timeCol, frame.ErrNoColumn)
		}
		var err error
		switch c := col.(type) {
		case *frame.Datetime:
			ordered, err = orderByTime(rows, c.Values(), func(v int64) bool { return v == frame.NaT }, timeCol)
		case *frame.Numeric:
			ordered, err = orderByTime(rows, c.Values(), func(v float64) bool { return v != v }, timeCol)
		default:
			err = fmt.Errorf("split: time series folds by %q: the column is %s, want datetime or numeric", timeCol, col.Type())
		}
		if err != nil {
			return nil, err
		}
	}
	n, k := len(ordered), cfg.K
	if k+1 > n {
		return nil, fmt.Errorf("split: %d time series folds need at least %d rows, have %d", k, k+1, n)
	}
	valid := cfg.ValidSize
	if valid == 0 {
		valid = n / (k + 1)
	}
	if n-cfg.Gap-valid*k <= 0 {
		return nil, fmt.Errorf("split: %d time series folds of %d validation rows with a gap of %d need more than %d rows, have %d",
			k, valid, cfg.Gap, valid*k+cfg.Gap, n)
	}
	folds := make([]Fold, 0, k)
	for start := n - k*valid; start < n; start += valid {
		end := start - cfg.Gap
		from := 0
		if cfg.MaxTrainSize > 0 && cfg.MaxTrainSize < end {
			from = end - cfg.MaxTrainSize
		}
		folds = append(folds, Fold{
			Train: slices.Clone(ordered[from:end]),
			Valid: slices.Clone(ordered[start : start+valid]),
		})
	}
	return folds, nil
}

// orderByTime returns rows sorted by time, ties in the order of rows.
func orderByTime[T cmp.Ordered](rows []int, values []T, isMissing func(T) bool, name string) ([]int, error) {
	missing := 0
	for _, row := range rows {
		if isMissing(values[row]) {
			missing++
		}
	}
	if missing > 0 {
		return nil, fmt.Errorf("split: time column %q has %s with a missing time: drop or fill them before time series folds",
			name, plural(missing, "row"))
	}
	ordered := slices.Clone(rows)
	slices.SortStableFunc(ordered, func(a, b int) int { return cmp.Compare(values[a], values[b]) })
	return ordered, nil
}

// allRows returns rows, or every row of f when rows is nil.
func allRows(f *frame.Frame, rows []int) []int {
	if rows != nil {
		return rows
	}
	rows = make([]int, f.NumRows())
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// foldsFromLabels returns K folds: fold j validates on the rows labelled j
// and trains on the others, both in the order of rows.
func foldsFromLabels(rows, fold []int, k int) []Fold {
	size := make([]int, k)
	for _, j := range fold {
		size[j]++
	}
	folds := make([]Fold, k)
	for j := range folds {
		folds[j] = Fold{Train: make([]int, 0, len(rows)-size[j]), Valid: make([]int, 0, size[j])}
	}
	for i, row := range rows {
		for j := range folds {
			if fold[i] == j {
				folds[j].Valid = append(folds[j].Valid, row)
			} else {
				folds[j].Train = append(folds[j].Train, row)
			}
		}
	}
	return folds
}
