// CPU masked_conv2d_direct: tiles of kPos output positions x kCo output channels accumulate in registers
// over the kept taps and input channels, from a weight packed once per call as wt[ntaps * ci, co] (output
// channels contiguous, so the inner loop is a vector over them). A call with fewer than kFewPositions outputs
// (the sampler's single positions) skips the packing, which would cost more than the sums, and reads the
// weight in place, kRows output channels at a time. Every path runs the same sequence of rounded multiplies
// and adds per output value, so the path, the tiling, the threads and the AVX2 clone change the speed, never
// the bits.
// No fused multiply-add may be formed: a contracted x * w + y rounds once instead of twice.
#pragma GCC optimize("fp-contract=off")

#include "masked_conv2d_direct.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <omp.h>

#include "masked_conv2d/masked_conv2d.h"

namespace vq4j {
namespace {

constexpr int kPos = 4;
constexpr int kCo = 16;
constexpr long kFewPositions = 8;
constexpr int kRows = 8;
// Below this many multiply-adds a call runs on one thread.
constexpr long long kParallelMacs = 1 << 18;

// y[p][o0 + o] for NP positions whose kept taps read src[p * ntaps + t] (ci floats each; zeros outside
// the input) and CB output channels from o0.
template <int NP, int CB>
inline __attribute__((always_inline)) void tile(const float* const* src, int ntaps, int ci, const float* wt,
                                                int co, int o0, const float* b, float* const* dst) {
  float acc[NP][CB];
  for (int p = 0; p < NP; ++p)
    for (int o = 0; o < CB; ++o) acc[p][o] = b != nullptr ? b[o0 + o] : 0.0f;
  for (int t = 0; t < ntaps; ++t) {
    const float* wrow = wt + static_cast<size_t>(t) * ci * co + o0;
    for (int c = 0; c < ci; ++c, wrow += co) {
      for (int p = 0; p < NP; ++p) {
        const float xv = src[p * ntaps + t][c];
        for (int o = 0; o < CB; ++o) acc[p][o] = acc[p][o] + xv * wrow[o];
      }
    }
  }
  for (int p = 0; p < NP; ++p)
    for (int o = 0; o < CB; ++o) dst[p][o0 + o] = acc[p][o];
}

// The same sums for an edge tile of np <= kPos positions and cb <= kCo channels.
inline __attribute__((always_inline)) void tile_edge(const float* const* src, int ntaps, int ci,
                                                     const float* wt, int co, int o0, const float* b,
                                                     float* const* dst, int np, int cb) {
  float acc[kPos][kCo];
  for (int p = 0; p < np; ++p)
    for (int o = 0; o < cb; ++o) acc[p][o] = b != nullptr ? b[o0 + o] : 0.0f;
  for (int t = 0; t < ntaps; ++t) {
    const float* wrow = wt + static_cast<size_t>(t) * ci * co + o0;
    for (int c = 0; c < ci; ++c, wrow += co) {
      for (int p = 0; p < np; ++p) {
        const float xv = src[p * ntaps + t][c];
        for (int o = 0; o < cb; ++o) acc[p][o] = acc[p][o] + xv * wrow[o];
      }
    }
  }
  for (int p = 0; p < np; ++p)
    for (int o = 0; o < cb; ++o) dst[p][o0 + o] = acc[p][o];
}

struct Geometry {
  int n, h, wd, ci, co, k;
  const int* taps;  // kept taps t = i * k + j, row-major
  int ntaps;
};

// Output positions [q0, q0 + np) of the n * h * wd, all output channels.
inline __attribute__((always_inline)) void positions(const Geometry& g, const float* x, const float* wt,
                                                     const float* b, const float* zeros, float* y, long q0,
                                                     int np, const float** src) {
  float* dst[kPos];
  const int c = g.k / 2;
  for (int p = 0; p < np; ++p) {
    const long q = q0 + p;
    const int img = static_cast<int>(q / (static_cast<long>(g.h) * g.wd));
    const int oy = static_cast<int>(q / g.wd % g.h);
    const int ox = static_cast<int>(q % g.wd);
    dst[p] = y + static_cast<size_t>(q) * g.co;
    for (int t = 0; t < g.ntaps; ++t) {
      const int iy = oy - c + g.taps[t] / g.k;
      const int ix = ox - c + g.taps[t] % g.k;
      const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.wd;
      src[p * g.ntaps + t] =
          inside ? x + ((static_cast<size_t>(img) * g.h + iy) * g.wd + ix) * g.ci : zeros;
    }
  }
  int o0 = 0;
  if (np == kPos) {
    for (; o0 + kCo <= g.co; o0 += kCo) tile<kPos, kCo>(src, g.ntaps, g.ci, wt, g.co, o0, b, dst);
  }
  for (; o0 < g.co; o0 += kCo) tile_edge(src, g.ntaps, g.ci, wt, g.co, o0, b, dst, np, std::min(kCo, g.co - o0));
}

// Position blocks [blk0, blk1); compiled for AVX2 and for the baseline, the clone picked once at load time
// (AVX2 without FMA: the same rounded multiplies and adds, eight lanes at a time).
__attribute__((target_clones("avx2", "default"))) void run_blocks(const Geometry& g, const float* x,
                                                                    const float* wt, const float* b,
                                                                    const float* zeros, float* y, long blk0,
                                                                    long blk1, const float** src) {
  const long total = static_cast<long>(g.n) * g.h * g.wd;
  for (long blk = blk0; blk < blk1; ++blk) {
    const long q0 = blk * kPos;
    positions(g, x, wt, b, zeros, y, q0, static_cast<int>(std::min<long>(kPos, total - q0)), src);
  }
}

// Every output position, the blocks split evenly over the threads.
void run_all(const Geometry& g, const float* x, const float* wt, const float* b, const float* zeros, float* y) {
  const long total = static_cast<long>(g.n) * g.h * g.wd;
  const long blocks = (total + kPos - 1) / kPos;
  const long long macs = static_cast<long long>(total) * g.ntaps * g.ci * g.co;
#pragma omp parallel if (macs > kParallelMacs)
  {
    std::vector<const float*> src(static_cast<size_t>(kPos) * std::max(g.ntaps, 1));
    const long threads = omp_get_num_threads();
    const long id = omp_get_thread_num();
    run_blocks(g, x, wt, b, zeros, y, blocks * id / threads, blocks * (id + 1) / threads, src.data());
  }
}

// y[q, o0 .. o0 + NB) for one position whose kept taps read src[t], from the unpacked w[co, k * k, ci].
template <int NB>
inline __attribute__((always_inline)) void rows_in_place(const float* const* src, const int* taps, int ntaps, int ci,
                                                         int kk, const float* w, int o0, int nb, const float* b,
                                                         float* dst) {
  float acc[kRows];
  const int count = NB > 0 ? NB : nb;
  for (int j = 0; j < count; ++j) acc[j] = b != nullptr ? b[o0 + j] : 0.0f;
  for (int t = 0; t < ntaps; ++t) {
    const float* xp = src[t];
    const float* wr[kRows];
    for (int j = 0; j < count; ++j) wr[j] = w + (static_cast<size_t>(o0 + j) * kk + taps[t]) * ci;
    for (int c = 0; c < ci; ++c) {
      const float xv = xp[c];
      for (int j = 0; j < count; ++j) acc[j] = acc[j] + xv * wr[j][c];
    }
  }
  for (int j = 0; j < count; ++j) dst[o0 + j] = acc[j];
}

// Every output of a call with few positions, without packing the weight.
void run_few(const Geometry& g, const float* x, const float* w, const float* b, const float* zeros, float* y) {
  const long total = static_cast<long>(g.n) * g.h * g.wd;
  std::vector<const float*> src(std::max(g.ntaps, 1));
  const int c = g.k / 2;
  for (long q = 0; q < total; ++q) {
    const int img = static_cast<int>(q / (static_cast<long>(g.h) * g.wd));
    const int oy = static_cast<int>(q / g.wd % g.h);
    const int ox = static_cast<int>(q % g.wd);
    for (int t = 0; t < g.ntaps; ++t) {
      const int iy = oy - c + g.taps[t] / g.k;
      const int ix = ox - c + g.taps[t] % g.k;
      const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.wd;
      src[t] = inside ? x + ((static_cast<size_t>(img) * g.h + iy) * g.wd + ix) * g.ci : zeros;
    }
    float* dst = y + static_cast<size_t>(q) * g.co;
    int o0 = 0;
    for (; o0 + kRows <= g.co; o0 += kRows)
      rows_in_place<kRows>(src.data(), g.taps, g.ntaps, g.ci, g.k * g.k, w, o0, kRows, b, dst);
    if (o0 < g.co) rows_in_place<0>(src.data(), g.taps, g.ntaps, g.ci, g.k * g.k, w, o0, g.co - o0, b, dst);
  }
}

}  // namespace

// x[n, h, wd, ci], w[co, k, k, ci], b[co] -> y[n, h, wd, co]
int masked_conv2d_direct_fwd_cpu(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int n,
                                 int h, int wd, int ci, int co, int k, int mask) {
  int ntaps = 0;
  for (int t = 0; t < k * k; ++t) ntaps += mask_keeps(mask, k, t / k, t % k);
  const size_t taps_bytes = (sizeof(int) * k * k + 63) / 64 * 64;
  const size_t zeros_bytes = (sizeof(float) * ci + 63) / 64 * 64;
  const bool few = static_cast<long>(n) * h * wd < kFewPositions;
  const size_t wt_bytes = few ? 0 : sizeof(float) * static_cast<size_t>(ntaps) * ci * co;
  char* base = static_cast<char*>(scratch(ctx, taps_bytes + zeros_bytes + wt_bytes));
  if (base == nullptr) return VQ4J_ERR_MEMORY;
  int* taps = reinterpret_cast<int*>(base);
  float* zeros = reinterpret_cast<float*>(base + taps_bytes);
  float* wt = reinterpret_cast<float*>(base + taps_bytes + zeros_bytes);
  int ti = 0;
  for (int t = 0; t < k * k; ++t)
    if (mask_keeps(mask, k, t / k, t % k)) taps[ti++] = t;
  std::memset(zeros, 0, sizeof(float) * ci);
  if (few) {
    run_few(Geometry{n, h, wd, ci, co, k, taps, ntaps}, x, w, b, zeros, y);
    return VQ4J_OK;
  }
  // wt[t, c, o] = w[o, taps[t], c], transposed in 16 x 16 blocks so that reads and writes both stay in cache lines.
  constexpr int kBlock = 16;
  for (int t = 0; t < ntaps; ++t)
    for (int o0 = 0; o0 < co; o0 += kBlock)
      for (int c0 = 0; c0 < ci; c0 += kBlock)
        for (int o = o0; o < std::min(co, o0 + kBlock); ++o)
          for (int c = c0; c < std::min(ci, c0 + kBlock); ++c)
            wt[(static_cast<size_t>(t) * ci + c) * co + o] = w[(static_cast<size_t>(o) * k * k + taps[t]) * ci + c];
  const Geometry g{n, h, wd, ci, co, k, taps, ntaps};
  run_all(g, x, wt, b, zeros, y);
  return VQ4J_OK;
}

}  // namespace vq4j
