package frame

import (
	"os"
	"testing"
)

func TestTmpGen(t *testing.T) {
	if os.Getenv("GEN") == "" {
		t.Skip()
	}
	writeNumericCSV(t, "/tmp/bench1e6.csv", 1_000_000, 30)
}

func BenchmarkTmpRead(b *testing.B) {
	st, _ := os.Stat("/tmp/bench1e6.csv")
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadFile("/tmp/bench1e6.csv", ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
