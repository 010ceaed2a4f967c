package frame

import "math"

// RowHashes returns one 64-bit hash per row over all columns of f, in column
// order, for finding duplicate rows within a frame and across frames (for
// example between the train and test rows of a split). Select the columns
// first to hash a subset.
//
// The hash depends only on the column types and the values, not on how a
// column is stored: a category hashes as its string, so two frames with
// different dictionaries agree. Missing is a value of its own, distinct from
// every other value, and -0 hashes as 0. Strings are hashed with FNV-1a and
// values are combined with the xxHash64 round and finaliser, so the hashes
// are the same on every platform and run. Equal rows have equal hashes;
// different rows collide with probability about 2^-64.
func (f *Frame) RowHashes() []uint64 {
	h := make([]uint64, f.nrows)
	for i := range h {
		h[i] = hashSeed
	}
	for _, c := range f.cols {
		c.hashTo(h)
	}
	for i, v := range h {
		h[i] = avalanche(v)
	}
	return h
}

const (
	prime1   = 11400714785074694791
	prime2   = 14029467366897019727
	prime3   = 1609587929392839161
	prime4   = 9650029242287828579
	hashSeed = prime3

	// hashMissing is the value hash of a missing value of any type.
	hashMissing = 0x6d697373696e6721 // "missing!"
	// Per-type tweaks keep a numeric 1 and a boolean true apart.
	tagNumeric  = 1 << 56
	tagBool     = 2 << 56
	tagDatetime = 3 << 56
	tagString   = 4 << 56
)

func rotl(x uint64, r uint) uint64 { return x<<r | x>>(64-r) }

// mix folds the value hash v into the running row hash h.
func mix(h, v uint64) uint64 {
	v *= prime2
	v = rotl(v, 31)
	v *= prime1
	h ^= v
	return rotl(h, 27)*prime1 + prime4
}

func avalanche(h uint64) uint64 {
	h ^= h >> 33
	h *= prime2
	h ^= h >> 29
	h *= prime3
	h ^= h >> 32
	return h
}

// fnv1a returns the 64-bit FNV-1a hash of s.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func (c *Numeric) hashTo(h []uint64) {
	for i, v := range c.values {
		switch {
		case v != v:
			h[i] = mix(h[i], hashMissing)
		case v == 0:
			h[i] = mix(h[i], tagNumeric)
		default:
			h[i] = mix(h[i], math.Float64bits(v)^tagNumeric)
		}
	}
}

func (c *Categorical) hashTo(h []uint64) {
	vh := make([]uint64, len(c.categories))
	for k, s := range c.categories {
		vh[k] = fnv1a(s) ^ tagString
	}
	for i, k := range c.codes {
		if k < 0 {
			h[i] = mix(h[i], hashMissing)
		} else {
			h[i] = mix(h[i], vh[k])
		}
	}
}

func (c *Bool) hashTo(h []uint64) {
	for i, v := range c.values {
		switch {
		case c.missing != nil && c.missing[i]:
			h[i] = mix(h[i], hashMissing)
		case v:
			h[i] = mix(h[i], tagBool|1)
		default:
			h[i] = mix(h[i], tagBool)
		}
	}
}

func (c *Datetime) hashTo(h []uint64) {
	for i, v := range c.values {
		if v == NaT {
			h[i] = mix(h[i], hashMissing)
		} else {
			h[i] = mix(h[i], uint64(v)^tagDatetime)
		}
	}
}

func (c *Text) hashTo(h []uint64) {
	for i, v := range c.values {
		if c.missing != nil && c.missing[i] {
			h[i] = mix(h[i], hashMissing)
		} else {
			h[i] = mix(h[i], fnv1a(v)^tagString)
		}
	}
}
