//go:build !amd64 || noasm

package gbdt

// useAVX2 and useAsmWalk are false where there is no assembly: the Go
// kernels and walk run. The stubs below are never called.
const (
	useAVX2        = false
	useAsmWalk     = false
	useLogisticAsm = false
)

func histIdentity4AVX2(hs *[4]*hist, cols *[4]*uint8, gh *gpair, n int) {
	panic("gbdt: no AVX2 kernel")
}

func histRows4AVX2(hs *[4]*hist, cols *[4]*uint8, rows *int32, ogh *gpair, n, colLen int) bool {
	panic("gbdt: no AVX2 kernel")
}

func subHistAVX2(dst, h *hist) { panic("gbdt: no AVX2 kernel") }

func walkFastAsm(nodes *fastNode, nn int, at *[16]int32, data *float64, offs *[16]int, steps int32) bool {
	panic("gbdt: no assembly walk")
}

func walkRowAsm(nodes *fastNode, nn int, at *[16]int32, row *float64, steps int32) bool {
	panic("gbdt: no assembly walk")
}

func logisticAVX2(raw, y *float64, gh *gpair, n int, acc *[8]float64) {
	panic("gbdt: no AVX2 kernel")
}

func partitionAVX2(rows, tmp *int32, n int, col *uint8, colLen int, tab *[256]bool, perm *[256][8]int32) int {
	panic("gbdt: no AVX2 kernel")
}

func scanAVX2(h *hist, groups int, k *[scanConsts][4]float64, out *[8]float64) {
	panic("gbdt: no AVX2 kernel")
}
