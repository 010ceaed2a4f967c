package split

import (
	"fmt"
	"slices"

	"mlw.dev/frame"
)

// splitTime orders the rows by the datetime or numeric column col and cuts
// them at the part sizes. A boundary that falls inside a run of tied times
// moves past the run, so that tied rows stay in the earlier part and every
// row of a later part is strictly later than every row of an earlier one.
// Rows with a missing time are refused: they can be placed neither before
// nor after the others.
func splitTime(parts []Part, col frame.Column, name string, r Ratios) error {
	switch c := col.(type) {
	case *frame.Datetime:
		return cutByTime(parts, c.Values(), func(v int64) bool { return v == frame.NaT }, timeKey, name, r)
	case *frame.Numeric:
		return cutByTime(parts, c.Values(), func(v float64) bool { return v != v }, floatKey, name, r)
	}
	return fmt.Errorf("split: time split by %q: the column is %s, want datetime or numeric", name, col.Type())
}

func cutByTime[T any](parts []Part, values []T, isMissing func(T) bool, key func(T) uint64, name string, r Ratios) error {
	if err := refuseMissingTimes(values, isMissing, name); err != nil {
		return err
	}
	size := partSizes(len(values), r)
	if size[Train] == 0 {
		return nil // every row stays in train; Split reports the empty parts
	}
	keys := make([]uint64, len(values))
	for i, v := range values {
		keys[i] = key(v)
	}
	sorted := slices.Clone(keys)
	radixSort(sorted, nil)
	lastTrain := sorted[size[Train]-1]
	lastValid := lastTrain
	if end := size[Train] + size[Validation]; size[Validation] > 0 && sorted[end-1] > lastTrain {
		lastValid = sorted[end-1]
	}
	for i, k := range keys {
		switch {
		case k <= lastTrain:
			parts[i] = Train
		case k <= lastValid:
			parts[i] = Validation
		default:
			parts[i] = Test
		}
	}
	return nil
}

func refuseMissingTimes[T any](values []T, isMissing func(T) bool, name string) error {
	missing, first := 0, -1
	for i, v := range values {
		if isMissing(v) {
			if missing == 0 {
				first = i
			}
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("split: time column %q has %s with a missing time (first at row %d): "+
			"drop or fill them before a time split", name, plural(missing, "row"), first)
	}
	return nil
}
