package wire

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	e := NewEncoder("TEST", 1, 7)
	e.U8(3)
	e.U32(70000)
	e.U64(1 << 40)
	e.Int(12)
	e.F64(math.Pi)
	e.Bool(true)
	e.Str("héllo")
	e.F64s([]float64{1, math.Inf(-1), -0.5})
	d, err := NewDecoder(e.Bytes(), "TEST", 1, 7, "pkg", "a thing", "x")
	require.NoError(t, err)
	require.Equal(t, uint8(3), d.U8())
	require.Equal(t, uint32(70000), d.U32())
	require.Equal(t, uint64(1<<40), d.U64())
	require.Equal(t, 12, d.Int(100))
	require.Equal(t, math.Pi, d.F64())
	require.True(t, d.Bool())
	require.Equal(t, "héllo", d.Str())
	require.Equal(t, []float64{1, math.Inf(-1), -0.5}, d.F64s(3))
	require.NoError(t, d.Finish())
}

func TestDecoderErrors(t *testing.T) {
	t.Parallel()
	e := NewEncoder("TEST", 1, 7)
	e.Int(500)
	e.U8(9)
	data := e.Bytes()
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"short", func() error { _, err := NewDecoder(data[:3], "TEST", 1, 7, "pkg", "a thing", "x"); return err }, "pkg: decode x: truncated"},
		{"magic", func() error {
			_, err := NewDecoder([]byte("XXXX\x01\x07"), "TEST", 1, 7, "pkg", "a thing", "x")
			return err
		}, "not a thing (bad magic)"},
		{"version", func() error { _, err := NewDecoder(data, "TEST", 2, 7, "pkg", "a thing", "x"); return err }, "format version 1, want 2"},
		{"kind", func() error { _, err := NewDecoder(data, "TEST", 1, 8, "pkg", "a thing", "x"); return err }, "model kind 7, want 8"},
		{"range", func() error { d, _ := NewDecoder(data, "TEST", 1, 7, "p", "t", "x"); d.Int(100); return d.Finish() }, "integer 500 out of range"},
		{"bool", func() error {
			d, _ := NewDecoder(data, "TEST", 1, 7, "p", "t", "x")
			d.Int(1000)
			d.Bool()
			return d.Finish()
		}, "boolean byte 9"},
		{"trailing", func() error { d, _ := NewDecoder(data, "TEST", 1, 7, "p", "t", "x"); d.Int(1000); return d.Finish() }, "1 trailing bytes"},
		{"huge slice", func() error { d, _ := NewDecoder(data, "TEST", 1, 7, "p", "t", "x"); _ = d.F64s(-1); return d.Finish() }, "truncated"},
	} {
		require.ErrorContains(t, tc.run(), tc.want, tc.name)
	}
	d, _ := NewDecoder(data, "TEST", 1, 7, "p", "t", "x")
	d.Fail(nil)
	require.NoError(t, d.Err())
	d.Fail(errors.New("first"))
	d.Fail(errors.New("second"))
	require.EqualError(t, d.Err(), "first")
}
