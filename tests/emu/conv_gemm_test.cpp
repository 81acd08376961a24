// Emulation test of the CUDA conv engine (conv_gemm.cuh) on the CPU: runs the very per-thread code the
// kernels run (Fprop, Dgrad, Wgrad, the column sums) block by block, the 256 threads of a block one after
// another in each phase between two barriers, exactly as conv_gemm.cu's kernels and launchers sequence
// them, and compares every conv op with the CPU reference. It tests the index math, tiling, bounds
// checks, phase decomposition, split-K reduction and role mapping without a GPU. What it cannot test:
// the CUDA runtime side (launch limits, shared-memory races that a missing barrier would cause on real
// hardware, memory errors: run compute-sanitizer with the Java parity test on a GPU for those).
//
// Besides the values it checks that each staged tile is fully written before it is read (staging slots
// are poisoned with NaN), that outputs are fully overwritten (pre-filled with NaN), that masked-out
// weights are never read (NaN there) and that masked weight gradients are exactly 0.
//
// Built and run by ctest (tests/native/CMakeLists.txt): a plain C++ program over the CPU sources, since it
// runs conv_gemm.cuh's per-thread code itself rather than through the emulated runtime of run.sh.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "conv2d/conv2d.h"
#include "conv_gemm.cuh"
#include "conv_transpose2d/conv_transpose2d.h"
#include "masked_conv2d/masked_conv2d.h"

namespace {

using namespace vq4j;
using namespace vq4j::cg;
using Vec = std::vector<float>;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
int passed = 0;
int failed = 0;
std::string failure;  // the first structural failure inside an emulated kernel

void fail_structure(const std::string& what) {
  if (failure.empty()) failure = what;
}

// ---- the emulated kernels (mirrors of conv_gemm.cu) ----

void poison(Smem& s) {
  for (auto& row : s.a)
    for (float& f : row) f = kNaN;
  for (auto& row : s.b)
    for (float& f : row) f = kNaN;
}

void check_staged(const Smem& s) {
  for (int k = 0; k < kBK; ++k)
    for (int i = 0; i < kBM; ++i)
      if (std::isnan(s.a[k][i]) || std::isnan(s.b[k][i])) {
        fail_structure("a staging slot was left unwritten (or a NaN input was read)");
        return;
      }
}

template <class Thread>
void mainloop(std::vector<Thread>& th, const ConvGeom& g, Smem& s, int kbeg) {
  const int kend = th[0].kend;
  for (const Thread& t : th)
    if (t.kend != kend) fail_structure("kend differs between the threads of a block");
  if (kbeg >= kend) return;
  for (Thread& t : th) t.fetch(g, kbeg);
  for (int k0 = kbeg; k0 < kend; k0 += kBK) {
    poison(s);
    for (const Thread& t : th) t.stash(s);
    check_staged(s);  // __syncthreads()
    for (Thread& t : th) {
      if (k0 + kBK < kend) t.fetch(g, k0 + kBK);
      t.acc.mma(s, t.tx, t.ty);
    }
    // __syncthreads()
  }
}

void emu_fprop(const ConvGeom& g, const float* x, const float* w, const float* b, float* y) {
  const Grid grid = fprop_grid(g);
  std::vector<Fprop> th(kThreads);
  Smem s;
  for (long long bz = 0; bz < grid.z; ++bz)
    for (long long by = 0; by < grid.y; ++by)
      for (long long bx = 0; bx < grid.x; ++bx) {
        for (int tid = 0; tid < kThreads; ++tid) th[tid].init(g, x, w, bx, by, tid);
        mainloop(th, g, s, 0);
        for (const Fprop& t : th) t.store(g, b, y);
      }
}

void emu_dgrad(const ConvGeom& g, const float* dy, const float* w, const float* b, float* dx) {
  const Grid grid = dgrad_grid(g);
  std::vector<Dgrad> th(kThreads);
  Smem s;
  for (long long bz = 0; bz < grid.z; ++bz)
    for (long long by = 0; by < grid.y; ++by)
      for (long long bx = 0; bx < grid.x; ++bx) {
        bool go = false;
        for (int tid = 0; tid < kThreads; ++tid) {
          const bool mine = th[tid].init(g, dy, w, bx, by, bz, tid);
          if (tid == 0) go = mine;
          if (mine != go) fail_structure("dgrad: threads of a block disagree on exiting");
        }
        if (!go) continue;
        mainloop(th, g, s, 0);
        for (const Dgrad& t : th) t.store(g, b, dx);
      }
}

void emu_wgrad(const ConvGeom& g, const float* x, const float* dy, float* dw, float* db, BiasOf bias_of) {
  const WgradPlan plan = wgrad_plan(g);
  const long long M = static_cast<long long>(g.n) * g.oh * g.ow;
  const long long R = static_cast<long long>(g.t1 - g.t0) * g.cx;
  if (plan.chunk % kBK != 0 || plan.splits < 1 || static_cast<long long>(plan.splits - 1) * plan.chunk >= M ||
      static_cast<long long>(plan.splits) * plan.chunk < M)
    fail_structure("wgrad plan does not tile the pixels");
  Vec part(static_cast<size_t>(plan.splits) * g.cy * R, kNaN);
  if (R > 0) {
    const Grid grid = wgrad_grid(g, plan);
    std::vector<Wgrad> th(kThreads);
    Smem s;
    for (long long bz = 0; bz < grid.z; ++bz)
      for (long long by = 0; by < grid.y; ++by)
        for (long long bx = 0; bx < grid.x; ++bx) {
          const int kbeg = static_cast<int>(bz) * plan.chunk;
          const int kend = static_cast<int>(M - kbeg < plan.chunk ? M : kbeg + plan.chunk);
          for (int tid = 0; tid < kThreads; ++tid) th[tid].init(g, x, dy, bx, by, tid, kend);
          mainloop(th, g, s, kbeg);
          for (const Wgrad& t : th) t.store(g, part.data(), static_cast<int>(bz));
        }
  }
  const long long count = static_cast<long long>(g.cy) * g.kh * g.kw * g.cx;
  for (long long idx = 0; idx < count; ++idx) dw[idx] = wgrad_finalize(g, part.data(), plan.splits, idx);

  if (db == nullptr) return;
  const float* bsrc = bias_of == BiasOf::kDy ? dy : x;
  const long long brows = bias_of == BiasOf::kDy ? M : static_cast<long long>(g.n) * g.h * g.w;
  const int bcols = bias_of == BiasOf::kDy ? g.cy : g.cx;
  const ColsumPlan bplan = colsum_plan(brows);
  Vec bpart_buf(static_cast<size_t>(bplan.splits) * bcols, kNaN);
  float* bpart = bplan.splits > 1 ? bpart_buf.data() : db;
  const Grid grid = colsum_grid(bcols, bplan);
  float shared[kSumRows][kSumLanes];
  for (long long by = 0; by < grid.y; ++by)
    for (long long bx = 0; bx < grid.x; ++bx) {
      for (int tid = 0; tid < kThreads; ++tid)
        shared[tid / kSumLanes][tid % kSumLanes] = colsum_partial(
            bsrc, static_cast<int>(brows), bcols, bplan.chunk, static_cast<int>(bx), static_cast<int>(by),
            tid % kSumLanes, tid / kSumLanes);
      for (int tid = 0; tid < kSumLanes; ++tid) {  // wy == 0
        const long long col = bx * kSumLanes + tid;
        if (col < bcols) bpart[by * bcols + col] = colsum_combine(shared, tid);
      }
    }
  if (bplan.splits > 1)
    for (int c = 0; c < bcols; ++c) db[c] = colsum_finalize(bpart, bplan.splits, bcols, c);
}

// ---- the ops, mapped onto the engine as the .cu files map them ----

struct Shape {
  int n, h, w, ci, co, kh, kw, stride, pad;
};

ConvGeom masked_geom(const Shape& s, int mask) {
  ConvGeom g = conv2d_geom(s.n, s.h, s.w, s.ci, s.co, s.kh, s.kh, 1, s.kh / 2);
  const int k = s.kh;
  if (!contiguous_taps(k * k, [&](int t) { return mask_keeps(mask, k, t / k, t % k); }, &g.t0, &g.t1))
    fail_structure("a mask's kept taps are not one range");
  return g;
}

struct Rng {
  uint64_t state;
  float next() {  // uniform in [-1, 1)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(state >> 40) / static_cast<float>(1 << 23) - 1.0f;
  }
  Vec vec(size_t count) {
    Vec v(count);
    for (float& f : v) f = next();
    return v;
  }
};

void check(const std::string& what, const Vec& want, const Vec& got, const std::vector<bool>* zero = nullptr) {
  double worst = 0;
  size_t bad = want.size();
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= 1e-4 + 1e-4 * std::fabs(want[i])) || (zero != nullptr && (*zero)[i] && got[i] != 0.0f)) {
      if (bad == want.size()) bad = i;
    }
    if (!(err <= worst)) worst = err;
  }
  if (bad == want.size() && failure.empty()) {
    ++passed;
    return;
  }
  ++failed;
  std::printf("FAIL %s: max error %g", what.c_str(), worst);
  if (bad < want.size()) std::printf(", first bad element %zu: want %g got %g", bad, want[bad], got[bad]);
  if (!failure.empty()) std::printf(", %s", failure.c_str());
  std::printf("\n");
  failure.clear();
}

std::string name(const char* op, const Shape& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s n%d %dx%d ci%d co%d k%dx%d s%d p%d", op, s.n, s.h, s.w, s.ci, s.co, s.kh,
                s.kw, s.stride, s.pad);
  return buf;
}

// The three passes of one op on the engine and on the CPU reference. fwd_geom etc. name which engine
// GEMM runs each pass with which geometry; transposed: the weight is [ci, kh, kw, co].
enum class Op { kConv2d, kConvTranspose2d, kMasked };

void run_case(vq4j_ctx* cpu, Op op, const Shape& s, int mask, uint64_t seed) {
  const bool transposed = op == Op::kConvTranspose2d;
  const int oh = transposed ? (s.h - 1) * s.stride - 2 * s.pad + s.kh : (s.h + 2 * s.pad - s.kh) / s.stride + 1;
  const int ow = transposed ? (s.w - 1) * s.stride - 2 * s.pad + s.kw : (s.w + 2 * s.pad - s.kw) / s.stride + 1;
  const size_t nx = static_cast<size_t>(s.n) * s.h * s.w * s.ci;
  const size_t ny = static_cast<size_t>(s.n) * oh * ow * s.co;
  const size_t nw = static_cast<size_t>(s.co) * s.kh * s.kw * s.ci;
  Rng rng{seed};
  const Vec x = rng.vec(nx), dy = rng.vec(ny), b = rng.vec(s.co);
  Vec w = rng.vec(nw);
  std::vector<bool> masked(nw, false);
  ConvGeom g;
  std::string what;
  if (op == Op::kConv2d) {
    g = conv2d_geom(s.n, s.h, s.w, s.ci, s.co, s.kh, s.kw, s.stride, s.pad);
    what = name("conv2d", s);
  } else if (op == Op::kConvTranspose2d) {
    g = conv_transpose2d_geom(s.n, s.h, s.w, s.ci, s.co, s.kh, s.kw, s.stride, s.pad);
    what = name("conv_transpose2d", s);
  } else {
    g = masked_geom(s, mask);
    what = name("masked_conv2d", s) + " mask " + std::to_string(mask);
    // Masked-out weights are NaN: reading one poisons the result.
    for (size_t e = 0; e < nw; ++e) {
      const int t = static_cast<int>(e / s.ci % (s.kh * s.kh));
      if (!mask_keeps(mask, s.kh, t / s.kh, t % s.kh)) {
        masked[e] = true;
        w[e] = kNaN;
      }
    }
  }
  if (g.oh <= 0 || g.ow <= 0) {
    std::printf("bad test shape %s\n", what.c_str());
    ++failed;
    return;
  }

  Vec y_ref(ny), y(ny, kNaN), dx_ref(nx), dx(nx, kNaN), dw_ref(nw), dw(nw, kNaN), db_ref(s.co), db(s.co, kNaN);
  int st = 0;
  if (op == Op::kConv2d) {
    st |= conv2d_fwd_cpu(cpu, x.data(), w.data(), b.data(), y_ref.data(), s.n, s.h, s.w, s.ci, s.co, s.kh, s.kw,
                         s.stride, s.pad);
    st |= conv2d_bwd_data_cpu(cpu, dy.data(), w.data(), dx_ref.data(), s.n, s.h, s.w, s.ci, s.co, s.kh, s.kw,
                              s.stride, s.pad);
    st |= conv2d_bwd_weight_cpu(cpu, x.data(), dy.data(), dw_ref.data(), db_ref.data(), s.n, s.h, s.w, s.ci,
                                s.co, s.kh, s.kw, s.stride, s.pad);
    emu_fprop(g, x.data(), w.data(), b.data(), y.data());
    emu_dgrad(g, dy.data(), w.data(), nullptr, dx.data());
    emu_wgrad(g, x.data(), dy.data(), dw.data(), db.data(), BiasOf::kDy);
  } else if (op == Op::kConvTranspose2d) {
    // The weight is [ci, kh, kw, co]: same count.
    st |= conv_transpose2d_fwd_cpu(cpu, x.data(), w.data(), b.data(), y_ref.data(), s.n, s.h, s.w, s.ci, s.co,
                                   s.kh, s.kw, s.stride, s.pad);
    st |= conv_transpose2d_bwd_data_cpu(cpu, dy.data(), w.data(), dx_ref.data(), s.n, s.h, s.w, s.ci, s.co,
                                        s.kh, s.kw, s.stride, s.pad);
    st |= conv_transpose2d_bwd_weight_cpu(cpu, x.data(), dy.data(), dw_ref.data(), db_ref.data(), s.n, s.h,
                                          s.w, s.ci, s.co, s.kh, s.kw, s.stride, s.pad);
    emu_dgrad(g, x.data(), w.data(), b.data(), y.data());
    emu_fprop(g, dy.data(), w.data(), nullptr, dx.data());
    emu_wgrad(g, dy.data(), x.data(), dw.data(), db.data(), BiasOf::kX);
  } else {
    st |= masked_conv2d_fwd_cpu(cpu, x.data(), w.data(), b.data(), y_ref.data(), s.n, s.h, s.w, s.ci, s.co,
                                s.kh, mask);
    st |= masked_conv2d_bwd_data_cpu(cpu, dy.data(), w.data(), dx_ref.data(), s.n, s.h, s.w, s.ci, s.co, s.kh,
                                     mask);
    st |= masked_conv2d_bwd_weight_cpu(cpu, x.data(), dy.data(), dw_ref.data(), db_ref.data(), s.n, s.h, s.w,
                                       s.ci, s.co, s.kh, mask);
    emu_fprop(g, x.data(), w.data(), b.data(), y.data());
    emu_dgrad(g, dy.data(), w.data(), nullptr, dx.data());
    emu_wgrad(g, x.data(), dy.data(), dw.data(), db.data(), BiasOf::kDy);
  }
  if (st != 0) {
    std::printf("FAIL %s: the CPU reference failed: %s\n", what.c_str(), vq4j_last_error(cpu));
    ++failed;
    return;
  }
  check(what + " y", y_ref, y);
  check(what + " dx", dx_ref, dx);
  check(what + " dw", dw_ref, dw, op == Op::kMasked ? &masked : nullptr);
  check(what + " db", db_ref, db);
}

}  // namespace

int main() {
  vq4j_ctx* cpu = vq4j_ctx_create(-1);
  uint64_t seed = 1;
  // n, h, w, ci, co, kh, kw, stride, pad
  const Shape convs[] = {
      {2, 7, 13, 3, 5, 3, 3, 1, 1},   {1, 13, 7, 1, 5, 3, 3, 2, 1},  {2, 7, 13, 5, 3, 1, 1, 1, 0},
      {3, 8, 8, 3, 5, 4, 4, 2, 1},    {1, 9, 11, 7, 70, 3, 3, 2, 0}, {2, 13, 7, 67, 65, 3, 3, 1, 1},
      {1, 1, 1, 3, 5, 1, 1, 1, 0},    {2, 5, 6, 3, 4, 5, 5, 3, 2},   {1, 6, 7, 2, 3, 1, 1, 2, 0},
      {2, 9, 10, 4, 6, 3, 2, 2, 1},   {1, 4, 4, 2, 3, 4, 4, 1, 3},   {5, 3, 3, 17, 19, 2, 2, 1, 0},
      {4, 16, 16, 16, 32, 3, 3, 1, 1}, {1, 10, 11, 3, 2, 2, 2, 3, 0}, {3, 12, 12, 8, 130, 4, 4, 2, 1},
      {2, 9, 9, 130, 8, 3, 3, 1, 1},  {1, 3, 40, 2, 2, 3, 5, 1, 2},  {9, 16, 16, 3, 5, 3, 3, 1, 1},
      {1, 9, 9, 2, 3, 5, 5, 2, 3},    {2, 11, 8, 3, 4, 7, 5, 4, 3},
  };
  for (const Shape& s : convs) run_case(cpu, Op::kConv2d, s, 0, seed++);
  const Shape transposed[] = {
      {2, 7, 13, 3, 5, 4, 4, 2, 1}, {1, 7, 13, 1, 5, 3, 3, 1, 1}, {2, 4, 5, 5, 3, 3, 3, 2, 0},
      {2, 7, 7, 3, 5, 1, 1, 1, 0},  {1, 3, 4, 70, 66, 4, 4, 2, 1}, {1, 5, 4, 2, 3, 3, 3, 3, 1},
      {2, 3, 3, 4, 2, 2, 2, 2, 0},  {2, 8, 8, 16, 8, 4, 4, 2, 1},  {1, 6, 5, 3, 4, 5, 3, 2, 2},
      {3, 16, 16, 3, 5, 4, 4, 2, 1},  {1, 4, 5, 2, 3, 6, 5, 3, 2},
  };
  for (const Shape& s : transposed) run_case(cpu, Op::kConvTranspose2d, s, 0, seed++);
  const Shape masked[] = {
      {2, 7, 13, 3, 5, 0, 0, 1, 0}, {1, 6, 5, 66, 3, 0, 0, 1, 0}, {1, 5, 9, 1, 70, 0, 0, 1, 0},
  };
  for (int k : {1, 3, 5})
    for (int mask = VQ4J_MASK_A; mask <= VQ4J_MASK_H_B; ++mask)
      for (Shape s : masked) {
        s.kh = s.kw = k;
        s.pad = k / 2;
        run_case(cpu, Op::kMasked, s, mask, seed++);
      }
  vq4j_ctx_destroy(cpu);
  std::printf("conv_gemm_test: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
