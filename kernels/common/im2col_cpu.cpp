// CPU im2col / col2im and the GEMM drivers of the conv kernels.
#include "im2col.h"

#include <algorithm>
#include <cstring>

#include "sgemm.h"
#include "vector_clones.h"

namespace vq4j {
namespace {

// 64 MB of column matrix per chunk: large enough that each GEMM is big, small enough to stay bounded
// for a batch of large images.
constexpr size_t kColBudgetFloats = (size_t{64} << 20) / sizeof(float);

// Below this many floats of work a loop runs on one thread: forking costs more than it saves.
constexpr long kParallelFloats = 32768;

inline int tap_at(const int* taps, int ti) { return taps != nullptr ? taps[ti] : ti; }

}  // namespace

ConvShape conv_shape(int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad) {
  return ConvShape{n,  h,      wd,  ci, co, kh, kw, stride, pad, (h + 2 * pad - kh) / stride + 1,
                   (wd + 2 * pad - kw) / stride + 1};
}

bool conv_is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride == 1 && s.pad == 0;
}

long col_chunk_lines(const ConvShape& s, int ntaps) {
  const long lines = static_cast<long>(s.n) * s.oh;
  const size_t line_floats = static_cast<size_t>(s.ow) * ntaps * s.ci;
  if (line_floats == 0) return lines;
  return std::max(1L, std::min(lines, static_cast<long>(kColBudgetFloats / line_floats)));
}

size_t col_buffer_floats(const ConvShape& s, int ntaps) {
  if (ntaps == 0 || conv_is_pointwise(s)) return 0;
  return static_cast<size_t>(col_chunk_lines(s, ntaps)) * s.ow * ntaps * s.ci;
}

int scratch_floats(vq4j_ctx* ctx, size_t floats, float** buf) {
  *buf = nullptr;
  if (floats == 0) return VQ4J_OK;
  *buf = static_cast<float*>(scratch(ctx, floats * sizeof(float)));
  return *buf != nullptr ? VQ4J_OK : VQ4J_ERR_MEMORY;
}

size_t align_bytes(size_t bytes) { return (bytes + 63) / 64 * 64; }

// x[n, h, wd, ci] -> col[(line1 - line0) * ow, ntaps * ci]
void im2col(const float* x, float* col, const ConvShape& s, const int* taps, int ntaps, long line0,
            long line1) {
  const long rows = (line1 - line0) * s.ow;
  const size_t k = static_cast<size_t>(ntaps) * s.ci;
  const size_t block = sizeof(float) * s.ci;
#pragma omp parallel for if (rows * static_cast<long>(k) > kParallelFloats) schedule(static)
  for (long r = 0; r < rows; ++r) {
    const long line = line0 + r / s.ow;
    const int ox = static_cast<int>(r % s.ow);
    const int img = static_cast<int>(line / s.oh);
    const int oy = static_cast<int>(line % s.oh);
    const float* ximg = x + static_cast<size_t>(img) * s.h * s.wd * s.ci;
    float* dst = col + r * k;
    for (int ti = 0; ti < ntaps; ++ti) {
      const int t = tap_at(taps, ti);
      const int iy = oy * s.stride - s.pad + t / s.kw;
      const int ix = ox * s.stride - s.pad + t % s.kw;
      float* d = dst + static_cast<size_t>(ti) * s.ci;
      if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.wd)
        std::memcpy(d, ximg + (static_cast<size_t>(iy) * s.wd + ix) * s.ci, block);
      else
        std::memset(d, 0, block);
    }
  }
}

// col[(line1 - line0) * ow, ntaps * ci] -> x[n, h, wd, ci] (added)
VQ4J_VECTOR_CLONES
void col2im_add(const float* col, float* x, const ConvShape& s, const int* taps, int ntaps, long line0,
                long line1) {
  // Each input pixel gathers the column entries that read it, rather than each column row scattering:
  // a pixel belongs to one thread, so there are no races, and it sums its taps in a fixed order.
  const size_t k = static_cast<size_t>(ntaps) * s.ci;
  const int img0 = static_cast<int>(line0 / s.oh);
  const int img1 = static_cast<int>((line1 - 1) / s.oh);
  const long image_pixels = static_cast<long>(s.h) * s.wd;
  const long pixels = (img1 - img0 + 1) * image_pixels;
#pragma omp parallel for if (pixels * static_cast<long>(k) > kParallelFloats) schedule(static)
  for (long q = 0; q < pixels; ++q) {
    const int img = img0 + static_cast<int>(q / image_pixels);
    const int y = static_cast<int>(q % image_pixels / s.wd);
    const int xx = static_cast<int>(q % s.wd);
    // The chunk covers output rows [oy0, oy1) of this image.
    const long first = static_cast<long>(img) * s.oh;
    const int oy0 = static_cast<int>(std::max(line0 - first, 0L));
    const int oy1 = static_cast<int>(std::min(line1 - first, static_cast<long>(s.oh)));
    if (y + s.pad < oy0 * s.stride || y + s.pad - s.kh + 1 > (oy1 - 1) * s.stride) continue;
    float* dst = x + (static_cast<size_t>(img) * image_pixels + static_cast<size_t>(y) * s.wd + xx) * s.ci;
    for (int ti = 0; ti < ntaps; ++ti) {
      const int t = tap_at(taps, ti);
      const int ny = y + s.pad - t / s.kw;
      const int nx = xx + s.pad - t % s.kw;
      if (ny < 0 || nx < 0 || ny % s.stride != 0 || nx % s.stride != 0) continue;
      const int oy = ny / s.stride;
      const int ox = nx / s.stride;
      if (oy < oy0 || oy >= oy1 || ox >= s.ow) continue;
      const float* src =
          col + static_cast<size_t>((first + oy - line0) * s.ow + ox) * k + static_cast<size_t>(ti) * s.ci;
      for (int c = 0; c < s.ci; ++c) dst[c] += src[c];
    }
  }
}

// w[co, kk, ci] -> wmat[co, ntaps * ci]
void gather_taps(const float* w, float* wmat, int co, int kk, int ci, const int* taps, int ntaps) {
  for (int o = 0; o < co; ++o)
    for (int ti = 0; ti < ntaps; ++ti)
      std::memcpy(wmat + (static_cast<size_t>(o) * ntaps + ti) * ci,
                  w + (static_cast<size_t>(o) * kk + taps[ti]) * ci, sizeof(float) * ci);
}

// wmat[co, ntaps * ci] -> w[co, kk, ci]
void scatter_taps(const float* wmat, float* w, int co, int kk, int ci, const int* taps, int ntaps) {
  std::memset(w, 0, sizeof(float) * co * kk * ci);
  for (int o = 0; o < co; ++o)
    for (int ti = 0; ti < ntaps; ++ti)
      std::memcpy(w + (static_cast<size_t>(o) * kk + taps[ti]) * ci,
                  wmat + (static_cast<size_t>(o) * ntaps + ti) * ci, sizeof(float) * ci);
}

// b[co] -> y[rows, co]
void fill_bias(float* y, const float* b, long rows, int co) {
  if (b == nullptr) {
    std::memset(y, 0, sizeof(float) * rows * co);
    return;
  }
#pragma omp parallel for if (rows * co > kParallelFloats) schedule(static)
  for (long r = 0; r < rows; ++r) std::memcpy(y + r * co, b, sizeof(float) * co);
}

// dy[rows, co] -> db[co]
VQ4J_VECTOR_CLONES
void bias_grad(const float* dy, float* db, long rows, int co) {
  // Threads own blocks of channels and walk every row in order, so the sums are the same for any thread
  // count; double accumulators keep long sums (rows = n * oh * ow) accurate.
  constexpr int kBlock = 16;
#pragma omp parallel for if (rows * co > kParallelFloats) schedule(static)
  for (int c0 = 0; c0 < co; c0 += kBlock) {
    const int width = std::min(kBlock, co - c0);
    double acc[kBlock] = {};
    for (long r = 0; r < rows; ++r) {
      const float* row = dy + r * co + c0;
      for (int c = 0; c < width; ++c) acc[c] += row[c];
    }
    for (int c = 0; c < width; ++c) db[c0 + c] = static_cast<float>(acc[c]);
  }
}

// x[n, h, wd, ci], wmat[co, ntaps * ci], b[co] -> y[n, oh, ow, co]
void conv_gemm_fwd(const float* x, const float* wmat, const float* b, float* y, const ConvShape& s,
                   const int* taps, int ntaps, float* col) {
  const long rows = static_cast<long>(s.n) * s.oh * s.ow;
  const int k = ntaps * s.ci;
  fill_bias(y, b, rows, s.co);
  if (k == 0) return;
  if (conv_is_pointwise(s)) {
    sgemm(false, true, static_cast<int>(rows), s.co, k, 1.0f, x, k, wmat,
                k, 1.0f, y, s.co);
    return;
  }
  const long lines = static_cast<long>(s.n) * s.oh;
  const long chunk = col_chunk_lines(s, ntaps);
  for (long l0 = 0; l0 < lines; l0 += chunk) {
    const long l1 = std::min(lines, l0 + chunk);
    im2col(x, col, s, taps, ntaps, l0, l1);
    sgemm(false, true, static_cast<int>((l1 - l0) * s.ow), s.co, k, 1.0f,
                col, k, wmat, k, 1.0f, y + static_cast<size_t>(l0) * s.ow * s.co, s.co);
  }
}

// dy[n, oh, ow, co], wmat[co, ntaps * ci] -> dx[n, h, wd, ci]
void conv_gemm_bwd_data(const float* dy, const float* wmat, float* dx, const ConvShape& s, const int* taps,
                        int ntaps, float* col) {
  const int k = ntaps * s.ci;
  const size_t dx_floats = static_cast<size_t>(s.n) * s.h * s.wd * s.ci;
  if (k > 0 && conv_is_pointwise(s)) {
    sgemm(false, false, s.n * s.h * s.wd, k, s.co, 1.0f, dy, s.co, wmat, k,
                0.0f, dx, k);
    return;
  }
  // col2im adds, and pixels that no tap reads (or every pixel, with no taps) get no gradient.
  std::memset(dx, 0, sizeof(float) * dx_floats);
  if (k == 0) return;
  const long lines = static_cast<long>(s.n) * s.oh;
  const long chunk = col_chunk_lines(s, ntaps);
  for (long l0 = 0; l0 < lines; l0 += chunk) {
    const long l1 = std::min(lines, l0 + chunk);
    sgemm(false, false, static_cast<int>((l1 - l0) * s.ow), k, s.co, 1.0f,
                dy + static_cast<size_t>(l0) * s.ow * s.co, s.co, wmat, k, 0.0f, col, k);
    col2im_add(col, dx, s, taps, ntaps, l0, l1);
  }
}

// x[n, h, wd, ci], dy[n, oh, ow, co] -> dwmat[co, ntaps * ci], db[co]
void conv_gemm_bwd_weight(const float* x, const float* dy, float* dwmat, float* db, const ConvShape& s,
                          const int* taps, int ntaps, float* col) {
  const long rows = static_cast<long>(s.n) * s.oh * s.ow;
  const int k = ntaps * s.ci;
  if (db != nullptr) bias_grad(dy, db, rows, s.co);
  if (k == 0) return;
  if (conv_is_pointwise(s)) {
    sgemm(true, false, s.co, k, static_cast<int>(rows), 1.0f, dy, s.co, x,
                k, 0.0f, dwmat, k);
    return;
  }
  const long lines = static_cast<long>(s.n) * s.oh;
  const long chunk = col_chunk_lines(s, ntaps);
  for (long l0 = 0; l0 < lines; l0 += chunk) {
    const long l1 = std::min(lines, l0 + chunk);
    im2col(x, col, s, taps, ntaps, l0, l1);
    // The first chunk overwrites dwmat, the later ones add to it.
    sgemm(true, false, s.co, k, static_cast<int>((l1 - l0) * s.ow), 1.0f,
                dy + static_cast<size_t>(l0) * s.ow * s.co, s.co, col, k, l0 == 0 ? 0.0f : 1.0f, dwmat, k);
  }
}

}  // namespace vq4j
