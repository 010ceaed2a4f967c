package drift

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"
)

// The reference values in testdata/reference.json are produced by
// testdata/gen_reference.py with Debian's scipy 1.10.1 and numpy 1.24.2
// (the versions are recorded in the file and checked below).

const (
	refRelTol = 1e-9
	refAbsTol = 1e-300 // only exact zeros may differ in relative terms
)

type referenceFile struct {
	Generator    string `json:"generator"`
	ScipyVersion string `json:"scipy_version"`
	NumpyVersion string `json:"numpy_version"`
	KS2Samp      []struct {
		Name      string    `json:"name"`
		A         []float64 `json:"a"`
		B         []float64 `json:"b"`
		Method    string    `json:"method"`
		Statistic float64   `json:"statistic"`
		PValue    float64   `json:"pvalue"`
	} `json:"ks_2samp"`
	KStwoSF []struct {
		N  int     `json:"n"`
		D  float64 `json:"d"`
		SF float64 `json:"sf"`
	} `json:"kstwo_sf"`
	Smirnov []struct {
		N  int     `json:"n"`
		D  float64 `json:"d"`
		SF float64 `json:"sf"`
	} `json:"smirnov"`
	ChiSquare []struct {
		Name      string    `json:"name"`
		Observed  []float64 `json:"observed"`
		Expected  []float64 `json:"expected"`
		Statistic float64   `json:"statistic"`
		PValue    float64   `json:"pvalue"`
	} `json:"chisquare"`
	JensenShannon []struct {
		Name     string    `json:"name"`
		P        []float64 `json:"p"`
		Q        []float64 `json:"q"`
		Base     *float64  `json:"base"`
		Distance float64   `json:"distance"`
	} `json:"jensenshannon"`
	Wasserstein []struct {
		Name     string    `json:"name"`
		U        []float64 `json:"u"`
		V        []float64 `json:"v"`
		UWeights []float64 `json:"u_weights"`
		VWeights []float64 `json:"v_weights"`
		Distance float64   `json:"distance"`
	} `json:"wasserstein"`
	PSI []struct {
		Name      string    `json:"name"`
		Reference []float64 `json:"reference"`
		Current   []float64 `json:"current"`
		Bins      int       `json:"bins"`
		Edges     []float64 `json:"edges"`
		PSI       float64   `json:"psi"`
	} `json:"psi"`
}

var loadReference = sync.OnceValues(func() (*referenceFile, error) {
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		return nil, err
	}
	var r referenceFile
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
})

func mustReference(t testing.TB) *referenceFile {
	t.Helper()
	r, err := loadReference()
	require.NoError(t, err)
	return r
}

// requireClose fails unless got equals want to the reference tolerance.
func requireClose(t testing.TB, want, got float64, what string) {
	t.Helper()
	if math.IsInf(want, 0) || math.IsNaN(want) {
		require.Equal(t, want, got, what)
		return
	}
	require.Truef(t, scalar.EqualWithinAbsOrRel(got, want, refAbsTol, refRelTol),
		"%s: got %.17g, want %.17g (rel err %.3g)", what, got, want, relErr(got, want))
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

func TestReferenceVersions(t *testing.T) {
	t.Parallel()
	r := mustReference(t)
	require.Equal(t, "1.10.1", r.ScipyVersion)
	require.Equal(t, "1.24.2", r.NumpyVersion)
}

func TestKSMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).KS2Samp {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			d, p := KS(tc.A, tc.B)
			requireClose(t, tc.Statistic, d, "statistic")
			requireClose(t, tc.PValue, p, "p-value")
			// Symmetric in its arguments.
			d2, p2 := KS(tc.B, tc.A)
			requireClose(t, tc.Statistic, d2, "swapped statistic")
			requireClose(t, tc.PValue, p2, "swapped p-value")
		})
	}
}

func TestKStwoSFMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).KStwoSF {
		requireClose(t, tc.SF, kstwoSF(tc.D, tc.N), "kstwo.sf")
	}
}

func TestSmirnovMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).Smirnov {
		requireClose(t, tc.SF, smirnovSF(tc.N, tc.D), "smirnov")
	}
}

func TestChiSquareMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).ChiSquare {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			s, p := ChiSquare(tc.Observed, tc.Expected)
			requireClose(t, tc.Statistic, s, "statistic")
			requireClose(t, tc.PValue, p, "p-value")
		})
	}
}

func TestJensenShannonMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).JensenShannon {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var base float64
			if tc.Base != nil {
				base = *tc.Base
			}
			requireClose(t, tc.Distance, JensenShannon(tc.P, tc.Q, base), "distance")
		})
	}
}

func TestWassersteinMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).Wasserstein {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			requireClose(t, tc.Distance, Wasserstein(tc.U, tc.V, tc.UWeights, tc.VWeights), "distance")
		})
	}
}

func TestPSIMatchesNumpy(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).PSI {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			requireClose(t, tc.PSI, PSI(tc.Reference, tc.Current, tc.Bins), "psi")
		})
	}
}
