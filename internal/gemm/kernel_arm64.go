package gemm

import "golang.org/x/sys/cpu"

// Advanced SIMD (NEON) is architecturally required on ARMv8-A, but the
// kernel (kernel_asm.go) is still chosen by the reported feature, as on
// amd64.
var useAsm = cpu.ARM64.HasASIMD
