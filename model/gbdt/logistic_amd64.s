//go:build amd64 && !noasm

#include "textflag.h"

// Constants of logisticAVX2, each in four lanes: the sign bit, the clamp
// -708, log2(e), 1.5·2^52, ln2 in two parts, 1.0, the exponent bias 1023 (an
// integer) and the Taylor coefficients 1/13! down to 1/2!.
DATA logisticConsts<>+0(SB)/8, $0x8000000000000000
DATA logisticConsts<>+8(SB)/8, $0x8000000000000000
DATA logisticConsts<>+16(SB)/8, $0x8000000000000000
DATA logisticConsts<>+24(SB)/8, $0x8000000000000000
DATA logisticConsts<>+32(SB)/8, $0xc086200000000000
DATA logisticConsts<>+40(SB)/8, $0xc086200000000000
DATA logisticConsts<>+48(SB)/8, $0xc086200000000000
DATA logisticConsts<>+56(SB)/8, $0xc086200000000000
DATA logisticConsts<>+64(SB)/8, $0x3ff71547652b82fe
DATA logisticConsts<>+72(SB)/8, $0x3ff71547652b82fe
DATA logisticConsts<>+80(SB)/8, $0x3ff71547652b82fe
DATA logisticConsts<>+88(SB)/8, $0x3ff71547652b82fe
DATA logisticConsts<>+96(SB)/8, $0x4338000000000000
DATA logisticConsts<>+104(SB)/8, $0x4338000000000000
DATA logisticConsts<>+112(SB)/8, $0x4338000000000000
DATA logisticConsts<>+120(SB)/8, $0x4338000000000000
DATA logisticConsts<>+128(SB)/8, $0x3fe62e42fee00000
DATA logisticConsts<>+136(SB)/8, $0x3fe62e42fee00000
DATA logisticConsts<>+144(SB)/8, $0x3fe62e42fee00000
DATA logisticConsts<>+152(SB)/8, $0x3fe62e42fee00000
DATA logisticConsts<>+160(SB)/8, $0x3dea39ef35793c76
DATA logisticConsts<>+168(SB)/8, $0x3dea39ef35793c76
DATA logisticConsts<>+176(SB)/8, $0x3dea39ef35793c76
DATA logisticConsts<>+184(SB)/8, $0x3dea39ef35793c76
DATA logisticConsts<>+192(SB)/8, $0x3ff0000000000000
DATA logisticConsts<>+200(SB)/8, $0x3ff0000000000000
DATA logisticConsts<>+208(SB)/8, $0x3ff0000000000000
DATA logisticConsts<>+216(SB)/8, $0x3ff0000000000000
DATA logisticConsts<>+224(SB)/8, $0x3ff
DATA logisticConsts<>+232(SB)/8, $0x3ff
DATA logisticConsts<>+240(SB)/8, $0x3ff
DATA logisticConsts<>+248(SB)/8, $0x3ff
DATA logisticConsts<>+256(SB)/8, $0x3de6124613a86d09
DATA logisticConsts<>+264(SB)/8, $0x3de6124613a86d09
DATA logisticConsts<>+272(SB)/8, $0x3de6124613a86d09
DATA logisticConsts<>+280(SB)/8, $0x3de6124613a86d09
DATA logisticConsts<>+288(SB)/8, $0x3e21eed8eff8d898
DATA logisticConsts<>+296(SB)/8, $0x3e21eed8eff8d898
DATA logisticConsts<>+304(SB)/8, $0x3e21eed8eff8d898
DATA logisticConsts<>+312(SB)/8, $0x3e21eed8eff8d898
DATA logisticConsts<>+320(SB)/8, $0x3e5ae64567f544e4
DATA logisticConsts<>+328(SB)/8, $0x3e5ae64567f544e4
DATA logisticConsts<>+336(SB)/8, $0x3e5ae64567f544e4
DATA logisticConsts<>+344(SB)/8, $0x3e5ae64567f544e4
DATA logisticConsts<>+352(SB)/8, $0x3e927e4fb7789f5c
DATA logisticConsts<>+360(SB)/8, $0x3e927e4fb7789f5c
DATA logisticConsts<>+368(SB)/8, $0x3e927e4fb7789f5c
DATA logisticConsts<>+376(SB)/8, $0x3e927e4fb7789f5c
DATA logisticConsts<>+384(SB)/8, $0x3ec71de3a556c734
DATA logisticConsts<>+392(SB)/8, $0x3ec71de3a556c734
DATA logisticConsts<>+400(SB)/8, $0x3ec71de3a556c734
DATA logisticConsts<>+408(SB)/8, $0x3ec71de3a556c734
DATA logisticConsts<>+416(SB)/8, $0x3efa01a01a01a01a
DATA logisticConsts<>+424(SB)/8, $0x3efa01a01a01a01a
DATA logisticConsts<>+432(SB)/8, $0x3efa01a01a01a01a
DATA logisticConsts<>+440(SB)/8, $0x3efa01a01a01a01a
DATA logisticConsts<>+448(SB)/8, $0x3f2a01a01a01a01a
DATA logisticConsts<>+456(SB)/8, $0x3f2a01a01a01a01a
DATA logisticConsts<>+464(SB)/8, $0x3f2a01a01a01a01a
DATA logisticConsts<>+472(SB)/8, $0x3f2a01a01a01a01a
DATA logisticConsts<>+480(SB)/8, $0x3f56c16c16c16c17
DATA logisticConsts<>+488(SB)/8, $0x3f56c16c16c16c17
DATA logisticConsts<>+496(SB)/8, $0x3f56c16c16c16c17
DATA logisticConsts<>+504(SB)/8, $0x3f56c16c16c16c17
DATA logisticConsts<>+512(SB)/8, $0x3f81111111111111
DATA logisticConsts<>+520(SB)/8, $0x3f81111111111111
DATA logisticConsts<>+528(SB)/8, $0x3f81111111111111
DATA logisticConsts<>+536(SB)/8, $0x3f81111111111111
DATA logisticConsts<>+544(SB)/8, $0x3fa5555555555555
DATA logisticConsts<>+552(SB)/8, $0x3fa5555555555555
DATA logisticConsts<>+560(SB)/8, $0x3fa5555555555555
DATA logisticConsts<>+568(SB)/8, $0x3fa5555555555555
DATA logisticConsts<>+576(SB)/8, $0x3fc5555555555555
DATA logisticConsts<>+584(SB)/8, $0x3fc5555555555555
DATA logisticConsts<>+592(SB)/8, $0x3fc5555555555555
DATA logisticConsts<>+600(SB)/8, $0x3fc5555555555555
DATA logisticConsts<>+608(SB)/8, $0x3fe0000000000000
DATA logisticConsts<>+616(SB)/8, $0x3fe0000000000000
DATA logisticConsts<>+624(SB)/8, $0x3fe0000000000000
DATA logisticConsts<>+632(SB)/8, $0x3fe0000000000000
GLOBL logisticConsts<>(SB), RODATA|NOPTR, $640

#define SIGN logisticConsts<>+0(SB)
#define LO logisticConsts<>+32(SB)
#define LOG2E logisticConsts<>+64(SB)
#define MAGIC logisticConsts<>+96(SB)
#define LN2HI logisticConsts<>+128(SB)
#define LN2LO logisticConsts<>+160(SB)
#define ONE logisticConsts<>+192(SB)
#define BIAS logisticConsts<>+224(SB)
#define C(k) logisticConsts<>+(256+32*(13-k))(SB)

// func logisticAVX2(raw, y *float64, gh *gpair, n int, acc *[8]float64)
//
// Four rows at a time, row j in lane j%4, as logisticGo: e = exp(max(-|r|,
// -708)), p = (r >= 0 ? 1 : e) / (1+e), gh = (p-y, p(1-p)) as float32, and
// in the lanes acc[0:4] += max(r, 0) - y·r, acc[4:8] *= 1+e. n is a multiple
// of 4.
TEXT ·logisticAVX2(SB), NOSPLIT, $0-40
	MOVQ raw+0(FP), AX
	MOVQ y+8(FP), BX
	MOVQ gh+16(FP), DX
	MOVQ n+24(FP), SI
	MOVQ acc+32(FP), CX
	VMOVUPD 0(CX), Y14  // loss sums
	VMOVUPD 32(CX), Y15 // products of 1+e
	VXORPD Y7, Y7, Y7   // zero
	XORQ DI, DI
	TESTQ SI, SI
	JLE logdone

logloop:
	VMOVUPD (AX)(DI*8), Y0 // r
	VORPD SIGN, Y0, Y1     // -|r|
	VMAXPD LO, Y1, Y1      // x
	VMULPD LOG2E, Y1, Y2
	VADDPD MAGIC, Y2, Y2   // t: k in its low bits
	VSUBPD MAGIC, Y2, Y3   // k = round(x·log2e)
	VMOVAPD Y1, Y4
	VFNMADD231PD LN2HI, Y3, Y4
	VFNMADD231PD LN2LO, Y3, Y4 // r' = x - k·ln2
	VMOVUPD C(13), Y5
	VFMADD213PD C(12), Y4, Y5
	VFMADD213PD C(11), Y4, Y5
	VFMADD213PD C(10), Y4, Y5
	VFMADD213PD C(9), Y4, Y5
	VFMADD213PD C(8), Y4, Y5
	VFMADD213PD C(7), Y4, Y5
	VFMADD213PD C(6), Y4, Y5
	VFMADD213PD C(5), Y4, Y5
	VFMADD213PD C(4), Y4, Y5
	VFMADD213PD C(3), Y4, Y5
	VFMADD213PD C(2), Y4, Y5
	VFMADD213PD ONE, Y4, Y5
	VFMADD213PD ONE, Y4, Y5 // e^r'
	VPADDQ BIAS, Y2, Y6
	VPSLLQ $52, Y6, Y6      // 2^k
	VMULPD Y6, Y5, Y5       // e
	VADDPD ONE, Y5, Y6      // 1+e
	VMULPD Y6, Y15, Y15
	VCMPPD $13, Y7, Y0, Y8  // r >= 0
	VBLENDVPD Y8, ONE, Y5, Y9
	VDIVPD Y6, Y9, Y9       // p
	VMOVUPD (BX)(DI*8), Y10 // y
	VSUBPD Y10, Y9, Y11     // p - y
	VMOVUPD ONE, Y12
	VSUBPD Y9, Y12, Y12
	VMULPD Y12, Y9, Y12     // p(1-p)
	VCVTPD2PSY Y11, X11
	VCVTPD2PSY Y12, X12
	VUNPCKLPS X12, X11, X13
	VUNPCKHPS X12, X11, X4
	VMOVUPS X13, (DX)(DI*8)
	VMOVUPS X4, 16(DX)(DI*8)
	VMAXPD Y7, Y0, Y12      // max(r, 0)
	VMULPD Y0, Y10, Y11     // y·r
	VSUBPD Y11, Y12, Y12
	VADDPD Y12, Y14, Y14
	ADDQ $4, DI
	CMPQ DI, SI
	JLT logloop

logdone:
	VMOVUPD Y14, 0(CX)
	VMOVUPD Y15, 32(CX)
	VZEROUPPER
	RET
