//go:build amd64 && !noasm

#include "textflag.h"

// Offsets of the constants in k (each in four lanes; the last is the
// bins of the first four lanes, 0 to 3).
#define KG 0
#define KH 32
#define KLAM 64
#define KPARENT 96
#define KN 128
#define KMINLEAF 160
#define KMINH 192
#define KEND 224
#define KFOUR 256
#define KIDX 288

// func scanAVX2(h *hist, groups int, k *[scanConsts][4]float64, out *[8]float64)
//
// leftToRightGo on four bins at a time: the running sums (g, h, n) of bins
// b..b+3 are made one bin after the other (one add per bin, in bin order, as
// the scalar scan), transposed into gL, hL, nL vectors, and the gains of the
// four splits computed with the same operations; lane l keeps the best gain
// of bins b ≡ l (mod 4) and its bin, as doubles. Bins at or past end, or
// whose split is not allowed, do not count. out gets the four best gains
// (0 where none is positive) and their bins.
TEXT ·scanAVX2(SB), NOSPLIT, $0-32
	MOVQ h+0(FP), SI
	MOVQ groups+8(FP), CX
	MOVQ k+16(FP), DI
	MOVQ out+24(FP), DX
	VXORPD Y0, Y0, Y0   // running (g, h, n, 0)
	VXORPD Y15, Y15, Y15 // best gains
	VXORPD Y14, Y14, Y14 // their bins
	VMOVUPD KIDX(DI), Y13 // bins (0, 1, 2, 3)
	TESTQ CX, CX
	JLE scandone

scanloop:
	VADDPD 0(SI), Y0, Y0
	VMOVAPD Y0, Y1
	VADDPD 32(SI), Y0, Y0
	VMOVAPD Y0, Y2
	VADDPD 64(SI), Y0, Y0
	VMOVAPD Y0, Y3
	VADDPD 96(SI), Y0, Y0
	VMOVAPD Y0, Y4
	VUNPCKLPD Y2, Y1, Y5 // (g0, g1, n0, n1)
	VUNPCKHPD Y2, Y1, Y6 // (h0, h1, _, _)
	VUNPCKLPD Y4, Y3, Y7 // (g2, g3, n2, n3)
	VUNPCKHPD Y4, Y3, Y8 // (h2, h3, _, _)
	VPERM2F128 $0x20, Y7, Y5, Y9  // gL
	VPERM2F128 $0x31, Y7, Y5, Y11 // nL
	VPERM2F128 $0x20, Y8, Y6, Y10 // hL
	VADDPD KLAM(DI), Y10, Y1      // a = hL + lam
	VMOVUPD KH(DI), Y2
	VSUBPD Y10, Y2, Y2            // hR = H - hL
	VADDPD KLAM(DI), Y2, Y3       // c = hR + lam
	VMOVUPD KG(DI), Y4
	VSUBPD Y9, Y4, Y4             // gR = G - gL
	VMULPD Y9, Y9, Y5
	VMULPD Y3, Y5, Y5             // gL*gL*c
	VMULPD Y4, Y4, Y6
	VMULPD Y1, Y6, Y6             // gR*gR*a
	VADDPD Y6, Y5, Y5             // num
	VMULPD Y3, Y1, Y6             // den = a*c
	VDIVPD Y6, Y5, Y5
	VSUBPD KPARENT(DI), Y5, Y5    // gain
	VCMPPD $13, KMINLEAF(DI), Y11, Y6 // nL >= minLeaf
	VCMPPD $13, KMINH(DI), Y10, Y7    // hL >= minHessianToSplit
	VANDPD Y7, Y6, Y6
	VMOVUPD KN(DI), Y7
	VSUBPD Y11, Y7, Y7
	VCMPPD $13, KMINLEAF(DI), Y7, Y7  // n - nL >= minLeaf
	VANDPD Y7, Y6, Y6
	VCMPPD $13, KMINH(DI), Y2, Y7     // hR >= minHessianToSplit
	VANDPD Y7, Y6, Y6
	VCMPPD $1, KEND(DI), Y13, Y7      // bin < end
	VANDPD Y7, Y6, Y6
	VCMPPD $30, Y15, Y5, Y7           // gain > best
	VANDPD Y7, Y6, Y6
	VBLENDVPD Y6, Y5, Y15, Y15
	VBLENDVPD Y6, Y13, Y14, Y14
	VADDPD KFOUR(DI), Y13, Y13
	ADDQ $128, SI
	DECQ CX
	JNZ scanloop

scandone:
	VMOVUPD Y15, 0(DX)
	VMOVUPD Y14, 32(DX)
	VZEROUPPER
	RET
