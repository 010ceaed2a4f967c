//go:build amd64 && !noasm

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// The kernels add the vector (g, h, 1, 0) of a row to the 32-byte bin of
// each of four histograms: one VADDPD and one store per bin. Y0 holds the
// row's vector, X2 the constant (1, 0).

// func histIdentity4AVX2(hs *[4]*hist, cols *[4]*uint8, gh *gpair, n int)
TEXT ·histIdentity4AVX2(SB), NOSPLIT, $0-32
	MOVQ hs+0(FP), AX
	MOVQ 0(AX), R9
	MOVQ 8(AX), R10
	MOVQ 16(AX), R11
	MOVQ 24(AX), R12
	MOVQ cols+8(FP), AX
	MOVQ 0(AX), R13
	MOVQ 8(AX), R8
	MOVQ 16(AX), BX
	MOVQ 24(AX), CX
	MOVQ gh+16(FP), DX
	MOVQ n+24(FP), SI
	MOVQ $0x3ff0000000000000, AX
	VMOVQ AX, X2
	XORQ DI, DI
	TESTQ SI, SI
	JLE identdone

identloop:
	VCVTPS2PD (DX)(DI*8), X0
	VINSERTF128 $1, X2, Y0, Y0
	MOVBQZX (R13)(DI*1), AX
	SHLQ $5, AX
	VADDPD (R9)(AX*1), Y0, Y1
	VMOVUPD Y1, (R9)(AX*1)
	MOVBQZX (R8)(DI*1), AX
	SHLQ $5, AX
	VADDPD (R10)(AX*1), Y0, Y3
	VMOVUPD Y3, (R10)(AX*1)
	MOVBQZX (BX)(DI*1), AX
	SHLQ $5, AX
	VADDPD (R11)(AX*1), Y0, Y4
	VMOVUPD Y4, (R11)(AX*1)
	MOVBQZX (CX)(DI*1), AX
	SHLQ $5, AX
	VADDPD (R12)(AX*1), Y0, Y5
	VMOVUPD Y5, (R12)(AX*1)
	INCQ DI
	CMPQ DI, SI
	JLT identloop

identdone:
	VZEROUPPER
	RET

// func histRows4AVX2(hs *[4]*hist, cols *[4]*uint8, rows *int32, ogh *gpair, n, colLen int) bool
//
// Rows go by blocks of 64: first their bins are gathered into the frame,
// then added as histIdentity4AVX2 does. Reading a bin through a row index
// and adding at once would make every store's address wait on two loads,
// and the loads after it on that store.
TEXT ·histRows4AVX2(SB), NOSPLIT, $264-49
	MOVQ rows+16(FP), CX
	MOVQ ogh+24(FP), DX
	MOVQ colLen+40(FP), R8
	MOVQ $0x3ff0000000000000, AX
	VMOVQ AX, X2
	XORQ DI, DI

rowsblock:
	CMPQ DI, n+32(FP)
	JGE rowsdone
	MOVQ n+32(FP), BX
	LEAQ 64(DI), AX
	CMPQ AX, BX
	CMOVQLT AX, BX // block end: min(DI+64, n)
	MOVQ DI, 256(SP)
	MOVQ cols+8(FP), AX
	MOVQ 0(AX), R9
	MOVQ 8(AX), R10
	MOVQ 16(AX), R11
	MOVQ 24(AX), R12
	XORQ SI, SI

rowsgather:
	MOVLQSX (CX)(DI*4), R13
	CMPQ R13, R8
	JCC rowsbad // unsigned: a negative row is out of range too
	MOVBLZX (R9)(R13*1), AX
	MOVB AX, 0(SP)(SI*1)
	MOVBLZX (R10)(R13*1), AX
	MOVB AX, 1(SP)(SI*1)
	MOVBLZX (R11)(R13*1), AX
	MOVB AX, 2(SP)(SI*1)
	MOVBLZX (R12)(R13*1), AX
	MOVB AX, 3(SP)(SI*1)
	ADDQ $4, SI
	INCQ DI
	CMPQ DI, BX
	JLT rowsgather

	MOVQ hs+0(FP), AX
	MOVQ 0(AX), R9
	MOVQ 8(AX), R10
	MOVQ 16(AX), R11
	MOVQ 24(AX), R12
	MOVQ 256(SP), DI
	XORQ SI, SI

rowsadd:
	VCVTPS2PD (DX)(DI*8), X0
	VINSERTF128 $1, X2, Y0, Y0
	MOVBQZX 0(SP)(SI*1), AX
	SHLQ $5, AX
	VADDPD (R9)(AX*1), Y0, Y1
	VMOVUPD Y1, (R9)(AX*1)
	MOVBQZX 1(SP)(SI*1), R13
	SHLQ $5, R13
	VADDPD (R10)(R13*1), Y0, Y3
	VMOVUPD Y3, (R10)(R13*1)
	MOVBQZX 2(SP)(SI*1), AX
	SHLQ $5, AX
	VADDPD (R11)(AX*1), Y0, Y4
	VMOVUPD Y4, (R11)(AX*1)
	MOVBQZX 3(SP)(SI*1), R13
	SHLQ $5, R13
	VADDPD (R12)(R13*1), Y0, Y5
	VMOVUPD Y5, (R12)(R13*1)
	ADDQ $4, SI
	INCQ DI
	CMPQ DI, BX
	JLT rowsadd
	JMP rowsblock

rowsdone:
	VZEROUPPER
	MOVB $1, ret+48(FP)
	RET

rowsbad:
	VZEROUPPER
	MOVB $0, ret+48(FP)
	RET

// func subHistAVX2(dst, h *hist)
TEXT ·subHistAVX2(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ h+8(FP), SI
	XORQ AX, AX

subloop:
	VMOVUPD (DI)(AX*1), Y0
	VMOVUPD 32(DI)(AX*1), Y1
	VSUBPD (SI)(AX*1), Y0, Y0
	VSUBPD 32(SI)(AX*1), Y1, Y1
	VMOVUPD Y0, (DI)(AX*1)
	VMOVUPD Y1, 32(DI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, $8192
	JLT subloop
	VZEROUPPER
	RET
