package monitor

import (
	"math"

	"mlw.dev/drift"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/internal/stats"
)

// driftSetup is monitoring.drift translated for the drift package.
type driftSetup struct {
	numeric, categorical drift.Method
	cfg                  drift.Config
}

// method returns the configuration comparing a column with a numeric or a
// categorical reference.
func (s *driftSetup) method(numeric bool) drift.Config {
	c := s.cfg
	if numeric {
		c.Method = s.numeric
	} else {
		c.Method = s.categorical
	}
	return c
}

// newDriftSetup maps monitoring.drift to drift.Config: the method names of
// mlw.yaml (auto or empty for Evidently's choice), the threshold applied to
// the method chosen when it is not auto, and the dataset share (0.5 by
// default). It returns an error with code EINVALID for an unknown method
// or an impossible number.
func newDriftSetup(dc project.DriftConfig) (*driftSetup, error) {
	s := &driftSetup{}
	t := dc.Threshold
	if t < 0 || math.IsNaN(t) {
		return nil, mlw.Errorf(mlw.EINVALID, "monitoring.drift.threshold %g is impossible: want 0 or more", t)
	}
	switch dc.Numeric {
	case "", "auto":
	case "ks":
		s.numeric, s.cfg.KSThreshold = drift.MethodKS, t
	case "wasserstein":
		s.numeric, s.cfg.WassersteinThreshold = drift.MethodWasserstein, t
	case "psi":
		s.numeric, s.cfg.PSIThreshold = drift.MethodPSI, t
	default:
		return nil, mlw.Errorf(mlw.EINVALID, "monitoring.drift.numeric %q is unknown: want auto, ks, wasserstein or psi", dc.Numeric)
	}
	switch dc.Categorical {
	case "", "auto":
	case "chisquare":
		s.categorical, s.cfg.ChiSquareThreshold = drift.MethodChiSquare, t
	case "jensenshannon":
		s.categorical, s.cfg.JensenShannonThreshold = drift.MethodJensenShannon, t
	case "psi":
		s.categorical, s.cfg.PSIThreshold = drift.MethodPSI, t
	default:
		return nil, mlw.Errorf(mlw.EINVALID, "monitoring.drift.categorical %q is unknown: want auto, chisquare, jensenshannon or psi", dc.Categorical)
	}
	if dc.DatasetShare < 0 || dc.DatasetShare > 1 || math.IsNaN(dc.DatasetShare) {
		return nil, mlw.Errorf(mlw.EINVALID, "monitoring.drift.dataset_share %g is impossible: want a share in [0, 1]", dc.DatasetShare)
	}
	s.cfg.DatasetShare = dc.DatasetShare
	s.cfg = s.cfg.WithDefaults()
	if err := s.cfg.Validate(); err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "monitoring.drift: %v", err)
	}
	return s, nil
}

// latencyOf returns the percentiles of the sorted latencies, or nil for
// none.
func latencyOf(sorted []float64) *Latency {
	if len(sorted) == 0 {
		return nil
	}
	return &Latency{P50: stats.Quantile(sorted, 0.50), P95: stats.Quantile(sorted, 0.95), P99: stats.Quantile(sorted, 0.99)}
}

func ptr(v float64) *float64 { return &v }

// finitePtr returns &v, or nil when v is NaN or infinite.
func finitePtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
