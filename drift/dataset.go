package drift

import (
	"fmt"
	"sync"
)

// Reference is the stored reference of one column: exactly one of Numeric
// and Categorical is set.
type Reference struct {
	Name        string                `json:"name"`
	Numeric     *NumericReference     `json:"numeric,omitempty"`
	Categorical *CategoricalReference `json:"categorical,omitempty"`
}

// Current is one column of live traffic: Values for a numeric column (NaN
// and ±Inf are missing), Counts (category → count, missing values
// excluded) for a categorical one.
type Current struct {
	Name   string
	Values []float64
	Counts map[string]int
}

// ColumnResult is the drift of one named column.
type ColumnResult struct {
	Column string `json:"column"`
	Result
}

// DatasetResult is the drift of a set of columns.
type DatasetResult struct {
	// Columns are in the order of the references.
	Columns []ColumnResult `json:"columns"`
	// DriftedColumns is the number of drifted columns and DriftShare
	// their share of all columns (0 when there are none).
	DriftedColumns int     `json:"drifted_columns"`
	DriftShare     float64 `json:"drift_share"`
	// DatasetShare is the threshold applied: the dataset drifts when
	// DriftShare >= DatasetShare.
	DatasetShare float64 `json:"dataset_share"`
	DatasetDrift bool    `json:"dataset_drift"`
}

// Dataset compares every referenced column with the current column of the
// same name (current columns without a reference are ignored), with the
// method of cfg.ColumnMethods, cfg.Method or Evidently's rule (see
// CompareNumeric and CompareCategorical). Columns are compared in parallel
// by at most cfg.Workers goroutines, each reusing pooled buffers (4 bytes
// per current row), so nothing is allocated per row.
//
// It returns an error if cfg is invalid, a reference is malformed or has no
// current column, or a column cannot be compared (the first such column in
// reference order is reported, wrapping ErrEmpty or ErrMethod where they
// apply).
func Dataset(refs []Reference, current []Current, cfg Config) (DatasetResult, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return DatasetResult{}, err
	}
	byName := make(map[string]int, len(current))
	for i, c := range current {
		if _, dup := byName[c.Name]; dup {
			return DatasetResult{}, fmt.Errorf("drift: duplicate current column %q", c.Name)
		}
		byName[c.Name] = i
	}
	cols := make([]int, len(refs))
	for i, r := range refs {
		if (r.Numeric == nil) == (r.Categorical == nil) {
			return DatasetResult{}, fmt.Errorf("drift: reference %q must be either numeric or categorical", r.Name)
		}
		j, ok := byName[r.Name]
		if !ok {
			return DatasetResult{}, fmt.Errorf("drift: no current column %q", r.Name)
		}
		cols[i] = j
	}

	res := DatasetResult{Columns: make([]ColumnResult, len(refs)), DatasetShare: cfg.DatasetShare}
	errs := make([]error, len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Workers, len(refs)) {
		wg.Go(func() {
			kb := kernelPool.Get().(*kernelBuffers)
			defer kernelPool.Put(kb)
			for i := range next {
				res.Columns[i], errs[i] = compareColumn(&refs[i], &current[cols[i]], cfg, kb)
			}
		})
	}
	for i := range refs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := firstError(errs); err != nil {
		return DatasetResult{}, err
	}

	for _, c := range res.Columns {
		if c.Drifted {
			res.DriftedColumns++
		}
	}
	if len(refs) > 0 {
		res.DriftShare = float64(res.DriftedColumns) / float64(len(refs))
	}
	res.DatasetDrift = len(refs) > 0 && res.DriftShare >= cfg.DatasetShare
	return res, nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// compareColumn compares one column, using kb's buffers.
func compareColumn(ref *Reference, cur *Current, cfg Config, kb *kernelBuffers) (ColumnResult, error) {
	method := cfg.Method
	if m, ok := cfg.ColumnMethods[ref.Name]; ok {
		method = m
	}
	var r Result
	var err error
	if ref.Numeric != nil {
		if cur.Counts != nil {
			return ColumnResult{}, fmt.Errorf("drift: column %q: numeric reference but categorical current data", ref.Name)
		}
		r, err = compareNumeric(ref.Numeric, cur.Values, method, cfg, kb)
	} else {
		if cur.Values != nil {
			return ColumnResult{}, fmt.Errorf("drift: column %q: categorical reference but numeric current data", ref.Name)
		}
		r, err = compareCategorical(ref.Categorical, cur.Counts, method, cfg)
	}
	if err != nil {
		return ColumnResult{}, fmt.Errorf("column %q: %w", ref.Name, err)
	}
	return ColumnResult{Column: ref.Name, Result: r}, nil
}
