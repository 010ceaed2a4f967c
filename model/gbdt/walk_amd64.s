//go:build amd64 && !noasm

#include "textflag.h"

// One lockstep step of lane L: at[L] = left + right, where right is 1 when
// x > thr, or x is NaN and NaN does not go left (node layout: thr at 0, left
// at 20, feature at 16, missingLeft at 28; 32 bytes a node). A node index at
// or beyond nn stops the walk (the model is corrupt).
#define STEP(L) \
	MOVLQSX (L*4)(DI), R8; \
	CMPQ R8, R11; \
	JCC walkbad; \
	SHLQ $5, R8; \
	MOVLQSX 16(SI)(R8*1), R9; \
	ADDQ (L*8)(BX), R9; \
	MOVSD (DX)(R9*8), X0; \
	MOVL 20(SI)(R8*1), R10; \
	MOVBLZX 28(SI)(R8*1), R12; \
	XORL AX, AX; \
	XORL CX, CX; \
	UCOMISD (SI)(R8*1), X0; \
	SETHI AL; \
	SETPS CL; \
	XORL $1, R12; \
	ANDL CX, R12; \
	ORL R12, AX; \
	ADDL AX, R10; \
	MOVL R10, (L*4)(DI)

// func walkNumAsm(nodes *node, nn int, at *[16]int32, data *float64, offs *[16]int, steps int32) bool
TEXT ·walkNumAsm(SB), NOSPLIT, $0-49
	MOVQ nodes+0(FP), SI
	MOVQ nn+8(FP), R11
	MOVQ at+16(FP), DI
	MOVQ data+24(FP), DX
	MOVQ offs+32(FP), BX
	MOVLQSX steps+40(FP), R13
	TESTQ R13, R13
	JLE walkdone

walkloop:
	STEP(0)
	STEP(1)
	STEP(2)
	STEP(3)
	STEP(4)
	STEP(5)
	STEP(6)
	STEP(7)
	STEP(8)
	STEP(9)
	STEP(10)
	STEP(11)
	STEP(12)
	STEP(13)
	STEP(14)
	STEP(15)
	DECQ R13
	JNZ walkloop

walkdone:
	MOVB $1, ret+48(FP)
	RET

walkbad:
	MOVB $0, ret+48(FP)
	RET
