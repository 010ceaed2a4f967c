package tune_test

import (
	"testing"

	"mlw.dev/internal/tune"
	"mlw.dev/internal/tune/tunetest"
)

func TestMemoryStorage(t *testing.T) {
	t.Parallel()
	tunetest.Exercise(t.Context(), t, func(*testing.T) tune.Storage { return tune.NewMemoryStorage() })
}

func BenchmarkMemoryStorage(b *testing.B) {
	tunetest.Benchmark(b.Context(), b, func(*testing.B) tune.Storage { return tune.NewMemoryStorage() })
}
