//go:build !amd64 || noasm

package gbdt

// useAVX2 is false where there is no assembly kernel; the Go kernels run.
const useAVX2 = false

func histIdentity4AVX2(hs *[4]*hist, cols *[4]*uint8, gh *gpair, n int) {
	panic("gbdt: no AVX2 kernel")
}

func histRows4AVX2(hs *[4]*hist, cols *[4]*uint8, rows *int32, ogh *gpair, n, colLen int) bool {
	panic("gbdt: no AVX2 kernel")
}

func subHistAVX2(dst, h *hist) { panic("gbdt: no AVX2 kernel") }
