//go:build arm64

#include "textflag.h"

// Go's VFMLA Vm, Vn, Vd is FMLA Vd.2D, Vn.2D, Vm.2D: Vd += Vn·Vm per lane,
// one rounding (a fused multiply–add, as math.FMA and VFMADD231PD).

// FMAROW broadcasts the next A value into bc (A advances by one double) and
// adds its products with the B row in V24..V27 to the accumulators a0..a3
// of one tile row.
#define FMAROW(bc, a0, a1, a2, a3) \
	VLD1R.P 8(R1), [bc.D2]; \
	VFMLA V24.D2, bc.D2, a0.D2; \
	VFMLA V25.D2, bc.D2, a1.D2; \
	VFMLA V26.D2, bc.D2, a2.D2; \
	VFMLA V27.D2, bc.D2, a3.D2

// KSTEP is one k step of the 6×8 tile: one row of B (8 values) into
// V24..V27 (B advances by 64 bytes), each of the 6 A values broadcast into
// V28..V31 in turn (so consecutive broadcasts do not wait on each other),
// 24 FMLA into the accumulators V0..V23.
#define KSTEP \
	VLD1.P 64(R2), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FMAROW(V28, V0, V1, V2, V3); \
	FMAROW(V29, V4, V5, V6, V7); \
	FMAROW(V30, V8, V9, V10, V11); \
	FMAROW(V31, V12, V13, V14, V15); \
	FMAROW(V28, V16, V17, V18, V19); \
	FMAROW(V29, V20, V21, V22, V23)

// STOREROW adds the accumulators a0..a3 (one row of the tile) to C at R3
// and moves R3 to the next row. Go's assembler has no vector FADD; FMLA
// with the ones in V31 is the same operation: c + a·1 with one rounding is
// c + a rounded, bit for bit.
#define STOREROW(a0, a1, a2, a3) \
	VLD1 (R3), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	VFMLA V31.D2, a0.D2, V24.D2; \
	VFMLA V31.D2, a1.D2, V25.D2; \
	VFMLA V31.D2, a2.D2, V26.D2; \
	VFMLA V31.D2, a3.D2, V27.D2; \
	VST1 [V24.D2, V25.D2, V26.D2, V27.D2], (R3); \
	ADD R4, R3

#define ZERO(v) VEOR v.B16, v.B16, v.B16

// func kernel6x8(k int, a, b, c *float64, ldc int)
//
// V0..V23 accumulate the 6×8 tile (row r in V(4r)..V(4r+3), two columns
// each); the k loop is unrolled by 2. Only R0..R5 are used (R18 is the
// platform register, R26..R30 are Go's).
TEXT ·kernel6x8(SB), NOSPLIT, $0-40
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD c+24(FP), R3
	MOVD ldc+32(FP), R4
	LSL  $3, R4
	ZERO(V0)
	ZERO(V1)
	ZERO(V2)
	ZERO(V3)
	ZERO(V4)
	ZERO(V5)
	ZERO(V6)
	ZERO(V7)
	ZERO(V8)
	ZERO(V9)
	ZERO(V10)
	ZERO(V11)
	ZERO(V12)
	ZERO(V13)
	ZERO(V14)
	ZERO(V15)
	ZERO(V16)
	ZERO(V17)
	ZERO(V18)
	ZERO(V19)
	ZERO(V20)
	ZERO(V21)
	ZERO(V22)
	ZERO(V23)
	LSR  $1, R0, R5
	CBZ  R5, tail

loop2:
	KSTEP
	KSTEP
	SUB  $1, R5
	CBNZ R5, loop2

tail:
	AND $1, R0
	CBZ R0, store
	KSTEP

store:
	MOVD $0x3FF0000000000000, R5 // 1.0
	VDUP R5, V31.D2
	STOREROW(V0, V1, V2, V3)
	STOREROW(V4, V5, V6, V7)
	STOREROW(V8, V9, V10, V11)
	STOREROW(V12, V13, V14, V15)
	STOREROW(V16, V17, V18, V19)
	STOREROW(V20, V21, V22, V23)
	RET
