// The row-major float matrix product of the CPU kernels (the quantizer's distances, the reference convs'
// im2col products): oneDNN's sgemm, which JITs for the CPU's widest vectors. It replaced OpenBLAS, which
// ran 2.5-3x slower on the project machine (bench/cpu/gemm_bench.cpp, bench/RESULTS.md).
#ifndef VQ4J_KERNELS_COMMON_SGEMM_H
#define VQ4J_KERNELS_COMMON_SGEMM_H

#include <oneapi/dnnl/dnnl.h>

namespace vq4j {

// c[m, n] = alpha * op(a) op(b) + beta * c, op transposing when asked. oneDNN rejects only invalid
// arguments, which the kernels' shapes never are, so its status carries nothing to report.
inline void sgemm(bool trans_a, bool trans_b, long m, long n, long k, float alpha, const float* a, long lda,
                  const float* b, long ldb, float beta, float* c, long ldc) {
  (void)dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace vq4j

#endif
