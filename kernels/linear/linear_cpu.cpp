// CPU linear layer: one OpenBLAS sgemm per product (as im2col_cpu.cpp's convs); the bias gradient's
// column sums in double, rows in order.
#include "linear.h"
#include "sgemm.h"


#include <vector>

namespace vq4j {

// x[rows, in], w[out, in], b[out] -> y[rows, out]
int linear_fwd_cpu(vq4j_ctx*, const float* x, const float* w, const float* b, float* y, int rows, int in,
                   int out) {
  float beta = 0.0f;
  if (b != nullptr) {
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o) y[static_cast<size_t>(r) * out + o] = b[o];
    beta = 1.0f;
  }
  sgemm(false, true, rows, out, in, 1.0f, x, in, w, in, beta, y, out);
  return VQ4J_OK;
}

// dy[rows, out], w[out, in] -> dx[rows, in]
int linear_bwd_data_cpu(vq4j_ctx*, const float* dy, const float* w, float* dx, int rows, int in, int out) {
  sgemm(false, false, rows, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
  return VQ4J_OK;
}

// x[rows, in], dy[rows, out] -> dw[out, in], db[out]
int linear_bwd_weight_cpu(vq4j_ctx*, const float* x, const float* dy, float* dw, float* db, int rows, int in,
                          int out) {
  sgemm(true, false, out, in, rows, 1.0f, dy, out, x, in, 0.0f, dw, in);
  if (db != nullptr) {
    std::vector<double> s(out, 0.0);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o) s[o] += dy[static_cast<size_t>(r) * out + o];
    for (int o = 0; o < out; ++o) db[o] = static_cast<float>(s[o]);
  }
  return VQ4J_OK;
}

}  // namespace vq4j
