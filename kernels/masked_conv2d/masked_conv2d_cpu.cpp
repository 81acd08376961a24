// CPU masked_conv2d: a stride-1 "same" conv2d whose im2col and weight matrix hold only the kept taps, so
// masked taps are neither gathered, multiplied nor read.
#include "masked_conv2d.h"

#include "im2col.h"

namespace vq4j {
namespace {

// One call's workspace, carved from the context's scratch: the kept-tap list, the compact weight (or
// weight gradient) matrix [co, ntaps * ci] and the column buffer.
struct MaskedWork {
  ConvShape s;
  int* taps;
  int ntaps;
  float* wmat;
  float* col;
};

int masked_work(vq4j_ctx* ctx, int n, int h, int wd, int ci, int co, int k, int mask, MaskedWork* work) {
  work->s = conv_shape(n, h, wd, ci, co, k, k, 1, k / 2);
  work->ntaps = 0;
  for (int t = 0; t < k * k; ++t) work->ntaps += mask_keeps(mask, k, t / k, t % k);
  const size_t taps_bytes = align_bytes(sizeof(int) * k * k);
  const size_t wmat_bytes = align_bytes(sizeof(float) * co * work->ntaps * ci);
  const size_t col_bytes = sizeof(float) * col_buffer_floats(work->s, work->ntaps);
  char* base = static_cast<char*>(scratch(ctx, taps_bytes + wmat_bytes + col_bytes));
  if (base == nullptr) return VQ4J_ERR_MEMORY;
  work->taps = reinterpret_cast<int*>(base);
  work->wmat = reinterpret_cast<float*>(base + taps_bytes);
  work->col = reinterpret_cast<float*>(base + taps_bytes + wmat_bytes);
  int ti = 0;
  for (int t = 0; t < k * k; ++t)
    if (mask_keeps(mask, k, t / k, t % k)) work->taps[ti++] = t;
  return VQ4J_OK;
}

}  // namespace

// x[n, h, wd, ci], w[co, k, k, ci], b[co] -> y[n, h, wd, co]
int masked_conv2d_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                          int h, int wd, int ci, int co, int k, int mask) {
  MaskedWork work;
  VQ4J_TRY(masked_work(ctx, n, h, wd, ci, co, k, mask, &work));
  gather_taps(w, work.wmat, co, k * k, ci, work.taps, work.ntaps);
  conv_gemm_fwd(x, work.wmat, b, y, work.s, work.taps, work.ntaps, work.col);
  return VQ4J_OK;
}

// dy[n, h, wd, co], w[co, k, k, ci] -> dx[n, h, wd, ci]
int masked_conv2d_bwd_data_cpu(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int n, int h,
                               int wd, int ci, int co, int k, int mask) {
  MaskedWork work;
  VQ4J_TRY(masked_work(ctx, n, h, wd, ci, co, k, mask, &work));
  gather_taps(w, work.wmat, co, k * k, ci, work.taps, work.ntaps);
  conv_gemm_bwd_data(dy, work.wmat, dx, work.s, work.taps, work.ntaps, work.col);
  return VQ4J_OK;
}

// x[n, h, wd, ci], dy[n, h, wd, co] -> dw[co, k, k, ci] (0 at masked taps), db[co]
int masked_conv2d_bwd_weight_cpu(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                 int n, int h, int wd, int ci, int co, int k, int mask) {
  MaskedWork work;
  VQ4J_TRY(masked_work(ctx, n, h, wd, ci, co, k, mask, &work));
  conv_gemm_bwd_weight(x, dy, work.wmat, db, work.s, work.taps, work.ntaps, work.col);
  scatter_taps(work.wmat, dw, co, k * k, ci, work.taps, work.ntaps);
  return VQ4J_OK;
}

}  // namespace vq4j
