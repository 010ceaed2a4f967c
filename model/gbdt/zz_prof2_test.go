package gbdt

import (
	"context"
	"testing"
)

func TestZZProfile2(t *testing.T) {
	p := synthClassification(t, 160000, 30, 1)
	var m Model
	m.EarlyStopping, m.NJobs = EarlyStoppingOff, 2
	if err := m.Fit(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}
