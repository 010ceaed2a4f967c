//go:build amd64 && !noasm

package gbdt

// useAVX2 reports whether the processor and the operating system support
// AVX2, which the histogram kernels of hist_amd64.s use.
var useAVX2 = hasAVX2()

func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // the OS saves SSE and AVX state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// useLogisticAsm reports whether logisticAVX2 can run: AVX2 and FMA.
var useLogisticAsm = useAVX2 && hasFMA()

func hasFMA() bool {
	_, _, ecx1, _ := cpuid(1, 0)
	return ecx1&(1<<12) != 0
}

// logisticAVX2 computes the gradients and hessians of the unweighted binary
// log-loss of n rows (a multiple of 4) four at a time; see logisticRows.
//
//go:noescape
func logisticAVX2(raw, y *float64, gh *gpair, n int, acc *[8]float64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// histIdentity4AVX2 is histIdentity4Go on n rows with a vector add per bin.
//
//go:noescape
func histIdentity4AVX2(hs *[4]*hist, cols *[4]*uint8, gh *gpair, n int)

// histRows4AVX2 is histRows4Go on n rows with a vector add per bin; it
// returns false, having stopped, at a row outside [0, colLen).
//
//go:noescape
func histRows4AVX2(hs *[4]*hist, cols *[4]*uint8, rows *int32, ogh *gpair, n, colLen int) bool

// subHistAVX2 is subHist with a vector subtraction per bin.
//
//go:noescape
func subHistAVX2(dst, h *hist)

// partitionAVX2 is partitionFast's vector loop over n rows (a multiple of
// 8); it returns the rows going left, or -1 at a row outside [0, colLen).
//
//go:noescape
func partitionAVX2(rows, tmp *int32, n int, col *uint8, colLen int, tab *[256]bool, perm *[256][8]int32) int

// scanAVX2 is scan.leftToRightGo on groups of four bins; see scan_amd64.s.
//
//go:noescape
func scanAVX2(h *hist, groups int, k *[scanConsts][4]float64, out *[8]float64)
