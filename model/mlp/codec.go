package mlp

import "mlw.dev/model/internal/wire"

// The binary form of a Model is
//
//	magic "MLWM" | version (1 byte) | kind (1 byte) | body
//
// with every number little-endian: integers as uint32, floats as their IEEE
// 754 bits in a uint64, strings and float slices prefixed by their length as
// a uint32 (a uint64 for the seed). The body holds the Config and, after a
// 0/1 byte saying whether the model is fitted, the learned state.
const (
	magic         = "MLWM"
	formatVersion = 1

	kindCodeMLP = 1
)

type (
	encoder = wire.Encoder
	decoder = wire.Decoder
)

func newEncoder(kind byte) *encoder { return wire.NewEncoder(magic, formatVersion, kind) }

// newDecoder checks the header of data and returns a decoder of its body.
func newDecoder(data []byte, kind byte, name string) (*decoder, error) {
	return wire.NewDecoder(data, magic, formatVersion, kind, "mlp", "an mlw multilayer perceptron", name)
}
