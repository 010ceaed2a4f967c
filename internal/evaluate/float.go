package evaluate

import (
	"encoding/json"
	"math"
	"strconv"
)

// Float is a float64 that encodes NaN and the infinities as JSON null, so
// that an undefined statistic (the ROC AUC of a segment with one class, the
// threshold that predicts no row positive) reads as null. Decoding null
// gives NaN.
type Float float64

// MarshalJSON encodes f as a JSON number, or null when it is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes a JSON number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
