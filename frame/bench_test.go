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
// third full-precision floats (17 significant digits), 5% missing in the
// last column. It returns the file size.
func writeNumericCSV(tb testing.TB, path string, rows, cols int) int64 {
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
	st, err := os.Stat(path)
	require.NoError(tb, err)
	return st.Size()
}

func BenchmarkReadCSV(b *testing.B) {
	for _, bc := range []struct {
		name       string
		rows, cols int
	}{
		{"rows=1e4/cols=30", 10_000, 30},
		{"rows=1e6/cols=30", 1_000_000, 30},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "data.csv")
			size := writeNumericCSV(b, path, bc.rows, bc.cols)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := ReadFile(path, ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if f.NumRows() != bc.rows {
					b.Fatalf("%d rows", f.NumRows())
				}
			}
		})
	}
}

func BenchmarkReadParquet(b *testing.B) {
	for _, bc := range []struct {
		name       string
		rows, cols int
	}{
		{"rows=1e4/cols=30", 10_000, 30},
		{"rows=1e6/cols=30", 1_000_000, 30},
	} {
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
			st, err := os.Stat(path)
			require.NoError(b, err)
			f = nil
			b.SetBytes(st.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := ReadFile(path, ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if f.NumRows() != bc.rows {
					b.Fatalf("%d rows", f.NumRows())
				}
			}
		})
	}
}
