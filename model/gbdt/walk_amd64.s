//go:build amd64 && !noasm

#include "textflag.h"

// The fast walk (walk.go): a step of lane L moves at[L] to left + (thr < x),
// x being the expanded row's value the node reads. Node layout: thr at 0,
// feat at 8, left at 12; 16 bytes a node. UCOMISD sets the carry when thr
// is below x, and ADCL adds it. A node index at or beyond nn stops the walk
// (the model is corrupt).

// ROWSTEP(L): every lane reads the one row at DX.
#define ROWSTEP(L) \
	MOVLQSX (L*4)(DI), R8; \
	CMPQ R8, R11; \
	JCC rowbad; \
	SHLQ $4, R8; \
	MOVLQSX 8(SI)(R8*1), R9; \
	MOVSD (SI)(R8*1), X0; \
	MOVL 12(SI)(R8*1), R10; \
	UCOMISD (DX)(R9*8), X0; \
	ADCL $0, R10; \
	MOVL R10, (L*4)(DI)

// func walkRowAsm(nodes *fastNode, nn int, at *[16]int32, row *float64, steps int32) bool
TEXT ·walkRowAsm(SB), NOSPLIT, $0-41
	MOVQ nodes+0(FP), SI
	MOVQ nn+8(FP), R11
	MOVQ at+16(FP), DI
	MOVQ row+24(FP), DX
	MOVLQSX steps+32(FP), R13
	TESTQ R13, R13
	JLE rowdone

rowloop:
	ROWSTEP(0)
	ROWSTEP(1)
	ROWSTEP(2)
	ROWSTEP(3)
	ROWSTEP(4)
	ROWSTEP(5)
	ROWSTEP(6)
	ROWSTEP(7)
	ROWSTEP(8)
	ROWSTEP(9)
	ROWSTEP(10)
	ROWSTEP(11)
	ROWSTEP(12)
	ROWSTEP(13)
	ROWSTEP(14)
	ROWSTEP(15)
	DECQ R13
	JNZ rowloop

rowdone:
	MOVB $1, ret+40(FP)
	RET

rowbad:
	MOVB $0, ret+40(FP)
	RET

// STEP(L): lane L reads the row at DX + 8*offs[L].
#define STEP(L) \
	MOVLQSX (L*4)(DI), R8; \
	CMPQ R8, R11; \
	JCC walkbad; \
	SHLQ $4, R8; \
	MOVLQSX 8(SI)(R8*1), R9; \
	ADDQ (L*8)(BX), R9; \
	MOVSD (SI)(R8*1), X0; \
	MOVL 12(SI)(R8*1), R10; \
	UCOMISD (DX)(R9*8), X0; \
	ADCL $0, R10; \
	MOVL R10, (L*4)(DI)

// func walkFastAsm(nodes *fastNode, nn int, at *[16]int32, data *float64, offs *[16]int, steps int32) bool
TEXT ·walkFastAsm(SB), NOSPLIT, $0-49
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
