package linear

import (
	"math"

	"mlw.dev/model/internal/wire"
)

// The binary form of every model of the package is
//
//	magic "MLWL" | version (1 byte) | kind (1 byte) | body
//
// with every number little-endian: integers as uint32, floats as their IEEE
// 754 bits in a uint64, strings and float slices prefixed by their length as
// a uint32. The body holds the Config and, after a 0/1 byte saying whether the
// model is fitted, the learned state.
const (
	magic         = "MLWL"
	formatVersion = 1

	kindCodeLogistic   = 1
	kindCodeLinear     = 2
	kindCodeLasso      = 3
	kindCodeElasticNet = 4
)

type (
	encoder = wire.Encoder
	decoder = wire.Decoder
)

func newEncoder(kind byte) *encoder { return wire.NewEncoder(magic, formatVersion, kind) }

// newDecoder checks the header of data and returns a decoder of its body.
func newDecoder(data []byte, kind byte, name string) (*decoder, error) {
	return wire.NewDecoder(data, magic, formatVersion, kind, "linear", "an mlw linear model", name)
}

// allFinite reports whether no value of v is NaN or infinite.
func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
