package train

import (
	"mlw.dev/internal/mlw"
	"mlw.dev/split"
)

// Cross-validation strategies: how CrossValidate cuts the training rows
// into folds.
const (
	CVKFold      = "kfold"      // K folds of shuffled rows
	CVStratified = "stratified" // K folds that keep the class shares
	CVGroup      = "group"      // K folds that keep each group's rows together
	CVTime       = "time"       // K expanding-window folds in time order
)

// CVStrategies lists the cross-validation strategies.
var CVStrategies = []string{CVKFold, CVStratified, CVGroup, CVTime}

// CVConfig says how CrossValidate cuts the training rows into folds, with
// the split package's fold generators. The zero value is stratified K-fold
// for classification and K-fold for regression, both shuffled with the
// spec's seed.
type CVConfig struct {
	// Strategy is one of CVStrategies; empty means the task's default.
	Strategy string `json:"strategy,omitempty"`
	// By is the group column (group) or the time column (time, where empty
	// means the dataset's time role); the other strategies take none.
	By string `json:"by,omitempty"`
}

// Resolve returns c with the default strategy and time column of d filled
// in. It returns an EINVALID error when the strategy is unknown, when it
// does not fit the task (stratified regression), when group or time has no
// column, or when By names a column that d lacks.
func (c CVConfig) Resolve(d *Data) (CVConfig, error) {
	if c.Strategy == "" {
		c.Strategy = CVStratified
		if d.Task == "regression" {
			c.Strategy = CVKFold
		}
	}
	switch c.Strategy {
	case CVKFold, CVStratified:
		if c.By != "" {
			return c, mlw.Errorf(mlw.EINVALID, "--cv-by %s: only the group and time strategies take a column, not %s", c.By, c.Strategy)
		}
		if c.Strategy == CVStratified && d.Task == "regression" {
			return c, mlw.Errorf(mlw.EINVALID, "--cv-strategy stratified needs a classification target").WithHint("--cv-strategy kfold")
		}
		return c, nil
	case CVGroup:
		if c.By == "" {
			return c, mlw.Errorf(mlw.EINVALID, "--cv-strategy group needs the group column").WithHint("--cv-strategy group --cv-by COLUMN")
		}
	case CVTime:
		if c.By == "" {
			c.By = d.Version.Roles.Time
		}
		if c.By == "" {
			return c, mlw.Errorf(mlw.EINVALID, "--cv-strategy time needs a time column: dataset %s has no time role", d.Version.Ref()).
				WithHint("--cv-strategy time --cv-by COLUMN (or data.time in mlw.yaml)")
		}
	default:
		return c, mlw.Errorf(mlw.EINVALID, "--cv-strategy %q: want one of %v", c.Strategy, CVStrategies)
	}
	if d.Frame.ColumnIndex(c.By) < 0 {
		return c, mlw.Errorf(mlw.EINVALID, "--cv-by %s: no such column in %s", c.By, d.Version.Ref())
	}
	if c.By == d.Version.Roles.Target {
		return c, mlw.Errorf(mlw.EINVALID, "--cv-by %s: that is the target", c.By)
	}
	return c, nil
}

// Folds returns k folds of d's training rows (validation and test rows are
// never among them), cut by the resolved strategy with split.KFold,
// StratifiedKFold, GroupKFold or TimeSeriesSplit; K-fold and stratified
// folds are shuffled with seed. Errors of Resolve and of the generators
// (too few rows, classes or groups for k folds; a time column with missing
// values) are returned as they are.
func (c CVConfig) Folds(d *Data, k int, seed int64) ([]split.Fold, error) {
	c, err := c.Resolve(d)
	if err != nil {
		return nil, err
	}
	rows := d.Parts.Rows(split.Train)
	cfg := split.FoldConfig{K: k, Shuffle: true, Seed: seed}
	switch c.Strategy {
	case CVKFold:
		return split.KFold(rows, cfg)
	case CVStratified:
		return split.StratifiedKFold(d.Frame, d.Version.Roles.Target, rows, cfg)
	case CVGroup:
		return split.GroupKFold(d.Frame, c.By, rows, cfg)
	default: // CVTime
		return split.TimeSeriesSplit(d.Frame, c.By, rows, cfg)
	}
}
