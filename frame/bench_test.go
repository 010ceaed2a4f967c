package frame

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeNumericCSV writes a rows x cols numeric CSV in the shapes real files
// have: a third of the columns with four decimals, a third integers and a
// third full-precision floats (up to 17 significant digits), 5% missing in
// the last column.
func writeNumericCSV(tb testing.TB, path string, rows, cols int) {
	tb.Helper()
	file, err := os.Create(path)
	require.NoError(tb, err)
	w := bufio.NewWriterSize(file, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	var line []byte
	for j := range cols {
		if j > 0 {
			line = append(line, ',')
		}
		line = append(line, "x"...)
		line = strconv.AppendInt(line, int64(j), 10)
	}
	line = append(line, '\n')
	_, _ = w.Write(line)
	for range rows {
		line = line[:0]
		for j := range cols {
			if j > 0 {
				line = append(line, ',')
			}
			switch {
			case j == cols-1 && rng.IntN(20) == 0:
			case j%3 == 0:
				line = strconv.AppendFloat(line, rng.NormFloat64()*100, 'f', 4, 64)
			case j%3 == 1:
				line = strconv.AppendInt(line, rng.Int64N(100000), 10)
			default:
				line = strconv.AppendFloat(line, rng.Float64(), 'g', -1, 64)
			}
		}
		line = append(line, '\n')
		_, _ = w.Write(line)
	}
	require.NoError(tb, w.Flush())
	require.NoError(tb, file.Close())
}

// benchSizes are the sizes of the read benchmarks.
var benchSizes = []struct {
	name       string
	rows, cols int
}{
	{"rows=1e4/cols=30", 10_000, 30},
	{"rows=1e6/cols=30", 1_000_000, 30},
}

// benchRead reads path with ReadFile in a loop, reporting its size as bytes
// processed.
func benchRead(b *testing.B, path string, rows int) {
	st, err := os.Stat(path)
	require.NoError(b, err)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := ReadFile(path, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if f.NumRows() != rows {
			b.Fatalf("%d rows", f.NumRows())
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	for _, bc := range benchSizes {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "data.csv")
			writeNumericCSV(b, path, bc.rows, bc.cols)
			benchRead(b, path, bc.rows)
		})
	}
}

func BenchmarkReadParquet(b *testing.B) {
	for _, bc := range benchSizes {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			csvPath := filepath.Join(dir, "data.csv")
			writeNumericCSV(b, csvPath, bc.rows, bc.cols)
			f, err := ReadFile(csvPath, ReadOptions{})
			require.NoError(b, err)
			path := filepath.Join(dir, "data.parquet")
			file, err := os.Create(path)
			require.NoError(b, err)
			require.NoError(b, WriteParquet(file, f))
			require.NoError(b, file.Close())
			require.NoError(b, os.Remove(csvPath))
			benchRead(b, path, bc.rows)
		})
	}
}
