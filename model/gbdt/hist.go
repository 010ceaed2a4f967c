package gbdt

import "unsafe"

// gpair is the gradient and hessian of one row.
type gpair struct{ g, h float32 }

// histBin accumulates the gradients, hessians and row count of one bin. It
// is 32 bytes, four float64, so that a vector unit adds a row's
// (g, h, 1, 0) to it with one instruction; the count is a float64, exact up
// to 2^53 rows.
type histBin struct {
	g, h, n float64
	_       float64
}

// hist is one feature's histogram; bin 255 holds missing values.
type hist = [256]histBin

// newHists returns histograms for nf features, the first 32-byte aligned so
// that no bin straddles two cache lines.
func newHists(nf int) []histBin {
	h := make([]histBin, nf*256+1)
	if uintptr(unsafe.Pointer(&h[0]))%32 != 0 {
		return h[1 : nf*256+1 : nf*256+1]
	}
	return h[: nf*256 : nf*256]
}

// histIdentity4 adds every row, in order, to the histograms of four
// features: row i's bin in feature k is cols[k][i], its gradient and hessian
// gh[i]. Every column must hold at least len(gh) bins.
func histIdentity4(hs *[4]*hist, cols *[4][]uint8, gh []gpair) {
	for k := range cols {
		if len(cols[k]) < len(gh) {
			panic("gbdt: histogram column shorter than the gradients")
		}
	}
	if useAVX2 && len(gh) > 0 {
		histIdentity4AVX2(hs, &[4]*uint8{&cols[0][0], &cols[1][0], &cols[2][0], &cols[3][0]}, &gh[0], len(gh))
		return
	}
	histIdentity4Go(hs, cols, gh)
}

// histRows4 adds the listed rows to the histograms of four features: row
// rows[j]'s bin in feature k is cols[k][rows[j]], its gradient and hessian
// ogh[j]. It panics if a row is out of a column's range.
func histRows4(hs *[4]*hist, cols *[4][]uint8, rows []int32, ogh []gpair) {
	ogh = ogh[:len(rows)]
	n := len(cols[0])
	for k := range cols {
		if len(cols[k]) != n {
			panic("gbdt: histogram columns of different lengths")
		}
	}
	if useAVX2 && len(rows) > 0 {
		if !histRows4AVX2(hs, &[4]*uint8{&cols[0][0], &cols[1][0], &cols[2][0], &cols[3][0]}, &rows[0], &ogh[0], len(rows), n) {
			panic("gbdt: histogram row out of range")
		}
		return
	}
	histRows4Go(hs, cols, rows, ogh)
}

// histIdentity4Go is histIdentity4 in Go, the reference of the vector
// kernel: it adds in the same order, so the sums are the same to the bit.
func histIdentity4Go(hs *[4]*hist, cols *[4][]uint8, gh []gpair) {
	h0, h1, h2, h3 := hs[0], hs[1], hs[2], hs[3]
	c0, c1, c2, c3 := cols[0][:len(gh)], cols[1][:len(gh)], cols[2][:len(gh)], cols[3][:len(gh)]
	for i, p := range gh {
		g, h := float64(p.g), float64(p.h)
		e := &h0[c0[i]]
		e.g += g
		e.h += h
		e.n++
		e = &h1[c1[i]]
		e.g += g
		e.h += h
		e.n++
		e = &h2[c2[i]]
		e.g += g
		e.h += h
		e.n++
		e = &h3[c3[i]]
		e.g += g
		e.h += h
		e.n++
	}
}

// histRows4Go is histRows4 in Go, the reference of the vector kernel.
func histRows4Go(hs *[4]*hist, cols *[4][]uint8, rows []int32, ogh []gpair) {
	h0, h1, h2, h3 := hs[0], hs[1], hs[2], hs[3]
	c0 := cols[0]
	c1, c2, c3 := cols[1][:len(c0)], cols[2][:len(c0)], cols[3][:len(c0)]
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		b0 := c0[r]
		g, h := float64(ogh[j].g), float64(ogh[j].h)
		e := &h0[b0]
		e.g += g
		e.h += h
		e.n++
		e = &h1[c1[r]]
		e.g += g
		e.h += h
		e.n++
		e = &h2[c2[r]]
		e.g += g
		e.h += h
		e.n++
		e = &h3[c3[r]]
		e.g += g
		e.h += h
		e.n++
	}
}

// subHist subtracts h from dst, bin by bin: the histogram of a node's larger
// child is its parent's less its smaller child's.
func subHist(dst, h *hist) {
	if useAVX2 {
		subHistAVX2(dst, h)
		return
	}
	for i := range dst {
		dst[i].g -= h[i].g
		dst[i].h -= h[i].h
		dst[i].n -= h[i].n
	}
}
