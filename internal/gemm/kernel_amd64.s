//go:build amd64

#include "textflag.h"

// FMAROW broadcasts the A value at off(SI) into bc and adds its products
// with the B row in Y12, Y13 to the accumulators lo, hi of one tile row.
#define FMAROW(off, bc, lo, hi) \
	VBROADCASTSD off(SI), bc; \
	VFMADD231PD Y12, bc, lo; \
	VFMADD231PD Y13, bc, hi

// KSTEP is one k step of the 6×8 tile: one row of B (8 values) into Y12,
// Y13, each of the 6 A values broadcast into Y14 or Y15 (alternating, so
// consecutive broadcasts do not wait on each other), 12 VFMADD231PD into
// the accumulators Y0..Y11; then A and B advance by one step.
#define KSTEP \
	VMOVUPD 0(DI), Y12; \
	VMOVUPD 32(DI), Y13; \
	FMAROW(0, Y14, Y0, Y1); \
	FMAROW(8, Y15, Y2, Y3); \
	FMAROW(16, Y14, Y4, Y5); \
	FMAROW(24, Y15, Y6, Y7); \
	FMAROW(32, Y14, Y8, Y9); \
	FMAROW(40, Y15, Y10, Y11); \
	ADDQ $48, SI; \
	ADDQ $64, DI

// STOREROW adds the accumulators lo, hi (one row of the tile) to C at DX
// and moves DX to the next row.
#define STOREROW(lo, hi) \
	VADDPD (DX), lo, lo; \
	VMOVUPD lo, (DX); \
	VADDPD 32(DX), hi, hi; \
	VMOVUPD hi, 32(DX); \
	ADDQ R8, DX

// func kernel6x8(k int, a, b, c *float64, ldc int)
//
// Y0..Y11 accumulate the 6×8 tile (row r in Y(2r), Y(2r+1)); the k loop is
// unrolled by 2.
TEXT ·kernel6x8(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	MOVQ CX, R9
	SHRQ $1, R9
	JZ tail
loop2:
	KSTEP
	KSTEP
	DECQ R9
	JNZ loop2
tail:
	ANDQ $1, CX
	JZ store
	KSTEP
store:
	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET
