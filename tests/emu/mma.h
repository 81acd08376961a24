// tests/emu: stands in for CUDA's mma.h so that conv_gemm.cu compiles as C++. Nothing here: the
// kernel that uses wmma has its body inside #if __CUDA_ARCH__ >= 800, which a host compile never sees,
// and the emulated device reports compute capability 7.0 (cuda_runtime.h), so that kernel is never launched.
#pragma once
