// Self-test of the CPU conv kernels (conv2d, conv_transpose2d, masked_conv2d), through the C API on both CPU
// backends (the hand-written reference and the oneDNN fast path): every function against a naive direct
// loop in double precision. Outputs are pre-filled with NaN, so a kernel that accumulates
// into them, or leaves a value unwritten, fails; masked-out weights are NaN too, so a masked kernel that
// reads one fails. Exits non-zero when any check fails.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "masked_conv2d/masked_conv2d.h"

namespace {

using Vec = std::vector<float>;
using Keep = std::function<bool(int, int)>;

constexpr float kTolerance = 1e-4f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

bool reference = false;  // the backend under test: VQ4J_OPT_CPU_REFERENCE

int passed = 0;
int failed = 0;

struct Rng {
  uint64_t state;
  float next() {  // uniform in [-1, 1)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(state >> 40) / static_cast<float>(1 << 23) - 1.0f;
  }
  Vec vec(size_t count, float amp) {
    Vec v(count);
    for (float& f : v) f = amp * next();
    return v;
  }
};

void check(const std::string& what, int status, const Vec& got, const std::vector<double>& want,
           const std::vector<bool>* exact_zero = nullptr) {
  double worst = 0;
  bool ok = status == VQ4J_OK;
  for (size_t i = 0; i < want.size() && ok; ++i) {
    const double err = std::fabs(got[i] - want[i]);
    // Relative beyond 1: a float32 sum of many terms (db over a 200x200 batch) drifts with its size.
    if (!(err < kTolerance * (1.0 + std::fabs(want[i])))) ok = false;  // also catches NaN
    if (err > worst) worst = err;
    if (exact_zero != nullptr && (*exact_zero)[i] && got[i] != 0.0f) ok = false;
  }
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s %s: status %d, max abs error %g\n", reference ? "reference" : "oneDNN", what.c_str(), status, worst);
  }
}

void check_same(const std::string& what, const Vec& a, const Vec& b) {
  if (std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s %s: repeated call differs\n", reference ? "reference" : "oneDNN", what.c_str());
  }
}

vq4j_ctx* cpu_context() {
  vq4j_ctx* ctx = vq4j_ctx_create(-1);
  vq4j_ctx_set_option(ctx, VQ4J_OPT_CPU_REFERENCE, reference);
  return ctx;
}

// ---- naive conv2d (x[n, h, wd, ci], w[co, kh, kw, ci]) over the taps keep accepts ----

struct Conv {
  int n, h, wd, ci, co, kh, kw, s, p, oh, ow;
  size_t xs() const { return static_cast<size_t>(n) * h * wd * ci; }
  size_t ys() const { return static_cast<size_t>(n) * oh * ow * co; }
  size_t ws() const { return static_cast<size_t>(co) * kh * kw * ci; }
  std::string str() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "n%d h%d w%d ci%d co%d k%dx%d s%d p%d", n, h, wd, ci, co, kh, kw, s, p);
    return buf;
  }
};

Conv conv_of(int n, int h, int wd, int ci, int co, int kh, int kw, int s, int p) {
  return Conv{n, h, wd, ci, co, kh, kw, s, p, (h + 2 * p - kh) / s + 1, (wd + 2 * p - kw) / s + 1};
}

// Calls f(x index, y index, w index) for every product of the conv.
template <class F>
void conv_loop(const Conv& c, const Keep& keep, F f) {
  for (int b = 0; b < c.n; ++b)
    for (int oy = 0; oy < c.oh; ++oy)
      for (int ox = 0; ox < c.ow; ++ox)
        for (int i = 0; i < c.kh; ++i)
          for (int j = 0; j < c.kw; ++j) {
            const int iy = oy * c.s - c.p + i, ix = ox * c.s - c.p + j;
            if (!keep(i, j) || iy < 0 || iy >= c.h || ix < 0 || ix >= c.wd) continue;
            for (int o = 0; o < c.co; ++o)
              for (int k = 0; k < c.ci; ++k)
                f(((static_cast<size_t>(b) * c.h + iy) * c.wd + ix) * c.ci + k,
                  ((static_cast<size_t>(b) * c.oh + oy) * c.ow + ox) * c.co + o,
                  ((static_cast<size_t>(o) * c.kh + i) * c.kw + j) * c.ci + k);
          }
}

std::vector<double> bias_sum(const Vec& dy, int co) {
  std::vector<double> db(co, 0.0);
  for (size_t i = 0; i < dy.size(); ++i) db[i % co] += dy[i];
  return db;
}

// Runs the three conv2d-like functions of one shape (masked_conv2d when mask >= 0) against the loops.
void test_conv(const Conv& c, bool bias, int mask, float amp, uint64_t seed) {
  const Keep keep = mask >= 0 ? Keep([&](int i, int j) { return vq4j::mask_keeps(mask, c.kh, i, j); })
                              : Keep([](int, int) { return true; });
  const std::string name = mask >= 0 ? "masked_conv2d mask" + std::to_string(mask) + " " : "conv2d ";
  const std::string tag = c.str() + (bias ? " bias" : " nobias");
  Rng rng{seed};
  const Vec x = rng.vec(c.xs(), amp), dy = rng.vec(c.ys(), amp), b = rng.vec(c.co, amp);
  Vec w = rng.vec(c.ws(), amp);
  std::vector<bool> masked(c.ws());
  for (size_t q = 0; q < w.size(); ++q) {
    const int tap = static_cast<int>(q / c.ci % (c.kh * c.kw));
    masked[q] = !keep(tap / c.kw, tap % c.kw);
    if (masked[q]) w[q] = kNaN;
  }
  vq4j_ctx* ctx = cpu_context();

  std::vector<double> y_ref(c.ys()), dx_ref(c.xs(), 0.0), dw_ref(c.ws(), 0.0);
  for (size_t q = 0; q < y_ref.size(); ++q) y_ref[q] = bias ? b[q % c.co] : 0.0;
  conv_loop(c, keep, [&](size_t xi, size_t yi, size_t wi) {
    y_ref[yi] += static_cast<double>(x[xi]) * w[wi];
    dx_ref[xi] += static_cast<double>(dy[yi]) * w[wi];
    dw_ref[wi] += static_cast<double>(x[xi]) * dy[yi];
  });
  const std::vector<double> db_ref = bias_sum(dy, c.co);

  Vec y(c.ys(), kNaN), dx(c.xs(), kNaN), dw(c.ws(), kNaN), db(c.co, kNaN);
  const float* bp = bias ? b.data() : nullptr;
  float* dbp = bias ? db.data() : nullptr;
  int st_fwd, st_data, st_weight;
  if (mask >= 0) {
    st_fwd = vq4j_masked_conv2d_fwd(ctx, x.data(), w.data(), bp, y.data(), c.n, c.h, c.wd, c.ci, c.co,
                                         c.kh, mask);
    st_data = vq4j_masked_conv2d_bwd_data(ctx, dy.data(), w.data(), dx.data(), c.n, c.h, c.wd, c.ci,
                                               c.co, c.kh, mask);
    st_weight = vq4j_masked_conv2d_bwd_weight(ctx, x.data(), dy.data(), dw.data(), dbp, c.n, c.h, c.wd,
                                                   c.ci, c.co, c.kh, mask);
  } else {
    st_fwd = vq4j_conv2d_fwd(ctx, x.data(), w.data(), bp, y.data(), c.n, c.h, c.wd, c.ci, c.co, c.kh,
                                  c.kw, c.s, c.p);
    st_data = vq4j_conv2d_bwd_data(ctx, dy.data(), w.data(), dx.data(), c.n, c.h, c.wd, c.ci, c.co,
                                        c.kh, c.kw, c.s, c.p);
    st_weight = vq4j_conv2d_bwd_weight(ctx, x.data(), dy.data(), dw.data(), dbp, c.n, c.h, c.wd, c.ci,
                                            c.co, c.kh, c.kw, c.s, c.p);
  }
  check(name + "fwd " + tag, st_fwd, y, y_ref);
  check(name + "bwd_data " + tag, st_data, dx, dx_ref);
  check(name + "bwd_weight dw " + tag, st_weight, dw, dw_ref, &masked);
  if (bias) check(name + "bwd_weight db " + tag, st_weight, db, db_ref);
  vq4j_ctx_destroy(ctx);
}

// ---- naive conv_transpose2d: x[n, h, wd, ci], w[ci, kh, kw, co], y[n, oh, ow, co] ----

void test_transpose(int n, int h, int wd, int ci, int co, int kh, int kw, int s, int p, bool bias, float amp,
                    uint64_t seed, bool repeat = false) {
  const int oh = (h - 1) * s - 2 * p + kh, ow = (wd - 1) * s - 2 * p + kw;
  const size_t xs = static_cast<size_t>(n) * h * wd * ci, ys = static_cast<size_t>(n) * oh * ow * co;
  const size_t ws = static_cast<size_t>(ci) * kh * kw * co;
  char buf[160];
  std::snprintf(buf, sizeof buf, "n%d h%d w%d ci%d co%d k%dx%d s%d p%d %s", n, h, wd, ci, co, kh, kw, s, p,
                bias ? "bias" : "nobias");
  const std::string tag = buf;
  Rng rng{seed};
  const Vec x = rng.vec(xs, amp), w = rng.vec(ws, amp), dy = rng.vec(ys, amp), b = rng.vec(co, amp);

  std::vector<double> y_ref(ys), dx_ref(xs, 0.0), dw_ref(ws, 0.0);
  for (size_t q = 0; q < ys; ++q) y_ref[q] = bias ? b[q % co] : 0.0;
  for (int m = 0; m < n; ++m)
    for (int a = 0; a < h; ++a)
      for (int bb = 0; bb < wd; ++bb)
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            const int Y = a * s - p + i, X = bb * s - p + j;
            if (Y < 0 || Y >= oh || X < 0 || X >= ow) continue;
            for (int c = 0; c < ci; ++c)
              for (int o = 0; o < co; ++o) {
                const size_t xi = ((static_cast<size_t>(m) * h + a) * wd + bb) * ci + c;
                const size_t yi = ((static_cast<size_t>(m) * oh + Y) * ow + X) * co + o;
                const size_t wi = ((static_cast<size_t>(c) * kh + i) * kw + j) * co + o;
                y_ref[yi] += static_cast<double>(x[xi]) * w[wi];
                dx_ref[xi] += static_cast<double>(dy[yi]) * w[wi];
                dw_ref[wi] += static_cast<double>(x[xi]) * dy[yi];
              }
          }
  const std::vector<double> db_ref = bias_sum(dy, co);

  vq4j_ctx* ctx = cpu_context();
  Vec y(ys, kNaN), dx(xs, kNaN), dw(ws, kNaN), db(co, kNaN);
  float* dbp = bias ? db.data() : nullptr;
  const int st_fwd = vq4j_conv_transpose2d_fwd(ctx, x.data(), w.data(), bias ? b.data() : nullptr,
                                                    y.data(), n, h, wd, ci, co, kh, kw, s, p);
  const int st_data =
      vq4j_conv_transpose2d_bwd_data(ctx, dy.data(), w.data(), dx.data(), n, h, wd, ci, co, kh, kw, s, p);
  const int st_weight = vq4j_conv_transpose2d_bwd_weight(ctx, x.data(), dy.data(), dw.data(), dbp, n, h,
                                                              wd, ci, co, kh, kw, s, p);
  check("conv_transpose2d fwd " + tag, st_fwd, y, y_ref);
  check("conv_transpose2d bwd_data " + tag, st_data, dx, dx_ref);
  check("conv_transpose2d bwd_weight dw " + tag, st_weight, dw, dw_ref);
  if (bias) check("conv_transpose2d bwd_weight db " + tag, st_weight, db, db_ref);
  if (repeat) {
    Vec y2(ys, kNaN), dx2(xs, kNaN), dw2(ws, kNaN);
    vq4j_conv_transpose2d_fwd(ctx, x.data(), w.data(), bias ? b.data() : nullptr, y2.data(), n, h, wd,
                                   ci, co, kh, kw, s, p);
    vq4j_conv_transpose2d_bwd_data(ctx, dy.data(), w.data(), dx2.data(), n, h, wd, ci, co, kh, kw, s, p);
    vq4j_conv_transpose2d_bwd_weight(ctx, x.data(), dy.data(), dw2.data(), nullptr, n, h, wd, ci, co, kh,
                                          kw, s, p);
    check_same("conv_transpose2d fwd deterministic " + tag, y, y2);
    check_same("conv_transpose2d bwd_data deterministic " + tag, dx, dx2);
    check_same("conv_transpose2d bwd_weight deterministic " + tag, dw, dw2);
  }
  vq4j_ctx_destroy(ctx);
}


void test_all() {
  uint64_t seed = 1;
  // conv2d: odd sizes, 1x1 (pointwise and strided), stride 2, pad 0/1/2, even and non-square kernels.
  const Conv convs[] = {
      conv_of(1, 5, 7, 3, 4, 3, 3, 1, 1), conv_of(3, 7, 5, 2, 5, 3, 3, 2, 1),
      conv_of(2, 6, 6, 4, 3, 1, 1, 1, 0), conv_of(3, 5, 3, 7, 2, 1, 1, 1, 0),
      conv_of(1, 9, 8, 3, 2, 1, 1, 2, 0), conv_of(3, 8, 9, 5, 6, 4, 4, 2, 1),
      conv_of(1, 5, 5, 3, 2, 3, 3, 1, 0), conv_of(2, 7, 6, 3, 4, 5, 3, 2, 2),
      conv_of(3, 11, 9, 2, 3, 3, 3, 1, 1), conv_of(1, 1, 1, 4, 3, 3, 3, 1, 1),
  };
  for (const Conv& c : convs)
    for (bool bias : {true, false}) test_conv(c, bias, -1, 1.0f, seed++);

  // conv_transpose2d: the adjoints of the same kinds of shapes, and stride > kernel (y pixels no tap hits).
  const int transposes[][9] = {
      {1, 4, 5, 3, 2, 4, 4, 2, 1}, {3, 3, 3, 2, 3, 3, 3, 2, 1}, {2, 5, 4, 4, 3, 1, 1, 1, 0},
      {1, 3, 4, 2, 3, 3, 3, 1, 1}, {2, 4, 3, 3, 2, 3, 3, 1, 0}, {1, 5, 5, 2, 2, 1, 1, 2, 0},
      {3, 4, 4, 3, 2, 5, 5, 3, 2}, {1, 3, 5, 2, 3, 5, 3, 2, 1},
  };
  for (const auto& t : transposes)
    for (bool bias : {true, false})
      test_transpose(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], bias, 1.0f, seed++);

  // masked_conv2d: every mask with k = 1 (A, V_A and H_A keep no tap), 3 and 5, one and three images.
  for (int mask = VQ4J_MASK_A; mask <= VQ4J_MASK_H_B; ++mask)
    for (int k : {1, 3, 5})
      for (int n : {1, 3}) test_conv(conv_of(n, 5, 7, 3, 4, k, k, 1, k / 2), mask % 2 == 0, mask, 1.0f, seed++);

  // Shapes whose column matrix exceeds the 64 MB chunk budget: chunks split batches and images.
  test_conv(conv_of(3, 200, 200, 16, 2, 3, 3, 1, 1), true, -1, 0.1f, seed++);
  test_conv(conv_of(3, 400, 400, 16, 2, 4, 4, 2, 1), false, -1, 0.1f, seed++);
  test_transpose(3, 200, 200, 1, 16, 4, 4, 2, 1, true, 0.1f, seed++, true);
  test_conv(conv_of(3, 200, 200, 16, 2, 5, 5, 1, 2), true, VQ4J_MASK_B, 0.1f, seed++);
}

}  // namespace

int main() {
  for (bool ref : {true, false}) {
    reference = ref;
    test_all();
  }

  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
