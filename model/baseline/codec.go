package baseline

import "mlw.dev/model/internal/wire"

// The binary form of every model of the package is
//
//	magic "MLWB" | version (1 byte) | kind (1 byte) | body
//
// with every number little-endian: integers as uint32, floats as their IEEE
// 754 bits in a uint64, strings and float slices prefixed by their length as
// a uint32. The body holds the configuration and, after a 0/1 byte saying
// whether the model is fitted, the learned state.
const (
	magic         = "MLWB"
	formatVersion = 1

	kindCodeMostFrequent = 1
	kindCodePrior        = 2
	kindCodeMean         = 3
	kindCodeMedian       = 4
	kindCodeRule         = 5
)

type (
	encoder = wire.Encoder
	decoder = wire.Decoder
)

func newEncoder(kind byte) *encoder { return wire.NewEncoder(magic, formatVersion, kind) }

// newDecoder checks the header of data and returns a decoder of its body.
func newDecoder(data []byte, kind byte, name string) (*decoder, error) {
	return wire.NewDecoder(data, magic, formatVersion, kind, "baseline", "an mlw baseline model", name)
}
