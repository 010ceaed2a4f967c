//go:build amd64 && !noasm

#include "textflag.h"

// func partitionAVX2(rows, tmp *int32, n int, col *uint8, colLen int, tab *[256]bool, perm *[256][8]int32) int
//
// partitionFast's vector loop, eight rows at a time: each row's side is
// looked up (tab[col[row]], the row checked against colLen) into an 8-bit
// mask, and the rows going left are packed to the front of a register with
// the permutation perm[mask] and stored at rows[l], the others likewise at
// tmp[k]. Stores land at or before the block being read, which is already in
// a register. It returns the number of rows going left, or -1, having
// stopped, at a row outside [0, colLen). n is a multiple of 8.
TEXT ·partitionAVX2(SB), NOSPLIT, $0-64
	MOVQ rows+0(FP), AX
	MOVQ tmp+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ col+24(FP), DX
	MOVQ colLen+32(FP), R8
	MOVQ tab+40(FP), SI
	MOVQ perm+48(FP), R9
	XORQ DI, DI   // i
	XORQ R10, R10 // l
	XORQ R11, R11 // k

partloop:
	CMPQ DI, CX
	JGE partdone
	VMOVDQU (AX)(DI*4), Y0
	XORQ R12, R12 // mask

#define SIDE(j) \
	MOVLQSX (j*4)(AX)(DI*4), R13 \
	CMPQ R13, R8 \
	JCC partbad \
	MOVBLZX (DX)(R13*1), R13 \
	MOVBLZX (SI)(R13*1), R13 \
	SHLQ $j, R13 \
	ORQ R13, R12

	SIDE(0)
	SIDE(1)
	SIDE(2)
	SIDE(3)
	SIDE(4)
	SIDE(5)
	SIDE(6)
	SIDE(7)
	MOVQ R12, R13
	SHLQ $5, R13
	VMOVDQU (R9)(R13*1), Y3
	VPERMD Y0, Y3, Y4
	VMOVDQU Y4, (AX)(R10*4)
	POPCNTL R12, R14
	ADDQ R14, R10
	XORQ $255, R12
	SHLQ $5, R12
	VMOVDQU (R9)(R12*1), Y3
	VPERMD Y0, Y3, Y4
	VMOVDQU Y4, (BX)(R11*4)
	ADDQ $8, R11
	SUBQ R14, R11
	ADDQ $8, DI
	JMP partloop

partdone:
	VZEROUPPER
	MOVQ R10, ret+56(FP)
	RET

partbad:
	VZEROUPPER
	MOVQ $-1, ret+56(FP)
	RET
