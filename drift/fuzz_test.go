package drift

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzNumericReference decodes references as a bundle would and checks
// that any reference Validate accepts can be compared without panicking.
func FuzzNumericReference(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing skipped in -short mode")
	}
	for _, x := range [][]float64{{1, 2, 3, 3, 4}, {5}, normalSample(1, 300, 0, 1)} {
		b, err := json.Marshal(NewNumericReference(x, SketchConfig{SampleSize: 50, PSIBins: 4}))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"count":2,"sample":[1,1e308],"edges":[-1e308,1e308],"bin_counts":[0,2,0]}`))
	current := []float64{-1e300, -2, 0, 0.5, 1, 1, 3, 1e10, math.NaN()}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r NumericReference
		if json.Unmarshal(data, &r) != nil || r.Validate() != nil || r.Count == 0 {
			return
		}
		for _, m := range []Method{MethodAuto, MethodKS, MethodWasserstein, MethodPSI, MethodChiSquare, MethodJensenShannon} {
			res, err := CompareNumeric(&r, current, Config{Method: m})
			require.NoError(t, err)
			require.False(t, math.IsNaN(res.Value), "method %s", m)
		}
	})
}

// FuzzCategoricalReference does the same for categorical references.
func FuzzCategoricalReference(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing skipped in -short mode")
	}
	f.Add([]byte(`{"count":3,"missing":1,"counts":{"a":1,"b":2}}`))
	f.Add([]byte(`{"count":0,"counts":{}}`))
	current := map[string]int{"a": 3, "c": 1}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r CategoricalReference
		if json.Unmarshal(data, &r) != nil || r.Validate() != nil || r.Count == 0 {
			return
		}
		for _, m := range []Method{MethodAuto, MethodChiSquare, MethodJensenShannon, MethodPSI} {
			res, err := CompareCategorical(&r, current, Config{Method: m})
			require.NoError(t, err)
			require.False(t, math.IsNaN(res.Value), "method %s", m)
		}
	})
}
