package gemm

import "golang.org/x/sys/cpu"

// The assembly kernel (kernel_asm.go) needs AVX2 and FMA.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA
