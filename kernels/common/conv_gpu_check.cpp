// GPU check of the conv family through the public C API alone (no Java needed on the GPU machine): every
// conv op on CUDA device 0 against the CPU context on random inputs and edge shapes (the same list as
// CudaConvParityTest), outputs pre-filled with NaN, masked weight gradients exactly 0, two GPU runs
// bit-identical, and a rough timing of the large shapes. Small enough to run under compute-sanitizer:
//
//   cmake -S . -B target/cmake && cmake --build target/cmake --parallel
//   g++ -std=c++17 -O2 -Inative/include kernels/common/conv_gpu_check.cpp -Ltarget/cmake/lib -lvq4j
//       -Wl,-rpath,$PWD/target/cmake/lib -o /tmp/conv_gpu_check
//   /tmp/conv_gpu_check                      # all cases, with timings
//   compute-sanitizer --tool memcheck  /tmp/conv_gpu_check --small
//   compute-sanitizer --tool racecheck /tmp/conv_gpu_check --small
//   compute-sanitizer --tool synccheck /tmp/conv_gpu_check --small
//   VQ4J_CONV_TF32=1 /tmp/conv_gpu_check     # the TF32 fprop, at its looser tolerance
// --cpu runs the "GPU" side on a second CPU context (checks this driver itself on a machine without a GPU).
// Exit status 0 when every check passes, 1 otherwise, 2 when there is no GPU.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "vq4j.h"

namespace {

using Vec = std::vector<float>;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
int passed = 0, failed = 0;
bool tf32 = false;

enum Family { kConv, kTransposed, kMasked };

struct Case {
  Family family;
  int n, h, w, ci, co, kh, kw, stride, pad, mask;
  int oh() const {
    return family == kTransposed ? (h - 1) * stride - 2 * pad + kh : (h + 2 * pad - kh) / stride + 1;
  }
  int ow() const {
    return family == kTransposed ? (w - 1) * stride - 2 * pad + kw : (w + 2 * pad - kw) / stride + 1;
  }
  size_t nx() const { return static_cast<size_t>(n) * h * w * ci; }
  size_t ny() const { return static_cast<size_t>(n) * oh() * ow() * co; }
  size_t nw() const { return static_cast<size_t>(co) * kh * kw * ci; }
  std::string name() const {
    static const char* masks[] = {"A", "B", "V_A", "V_B", "H_A", "H_B"};
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s n%d %dx%d ci%d co%d k%dx%d s%d p%d%s%s",
                  family == kConv ? "conv2d" : family == kTransposed ? "conv_transpose2d" : "masked_conv2d", n, h,
                  w, ci, co, kh, kw, stride, pad, family == kMasked ? " mask " : "",
                  family == kMasked ? masks[mask] : "");
    return buf;
  }
};

Case conv(int n, int h, int w, int ci, int co, int kh, int kw, int s, int p) {
  return {kConv, n, h, w, ci, co, kh, kw, s, p, 0};
}
Case transposed(int n, int h, int w, int ci, int co, int kh, int kw, int s, int p) {
  return {kTransposed, n, h, w, ci, co, kh, kw, s, p, 0};
}
Case masked(int mask, int n, int h, int w, int ci, int co, int k) {
  return {kMasked, n, h, w, ci, co, k, k, 1, k / 2, mask};
}

bool keeps(int mask, int k, int i, int j) {
  const int c = k / 2;
  switch (mask) {
    case VQ4J_MASK_A: return i < c || (i == c && j < c);
    case VQ4J_MASK_B: return i < c || (i == c && j <= c);
    case VQ4J_MASK_V_A: return i < c;
    case VQ4J_MASK_V_B: return i <= c;
    case VQ4J_MASK_H_A: return i == c && j < c;
    default: return i == c && j <= c;
  }
}

struct Rng {
  uint64_t state;
  float next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(state >> 40) / static_cast<float>(1 << 23) * 2.0f - 1.0f;  // [-1, 1)
  }
  Vec vec(size_t count) {
    Vec v(count);
    for (float& f : v) f = next();
    return v;
  }
};

// Tensors in a context's memory.
struct Buf {
  vq4j_ctx* ctx;
  float* p = nullptr;
  size_t count = 0;
  Buf(vq4j_ctx* c, const Vec& host) : ctx(c), count(host.size()) {
    p = static_cast<float*>(vq4j_malloc(ctx, sizeof(float) * (count ? count : 1)));
    if (p == nullptr) {
      std::printf("allocation failed: %s\n", vq4j_last_error(ctx));
      std::exit(1);
    }
    if (count && vq4j_memcpy(ctx, p, host.data(), sizeof(float) * count, VQ4J_COPY_HOST_TO_DEVICE) != VQ4J_OK)
      std::printf("copy in failed: %s\n", vq4j_last_error(ctx));
  }
  ~Buf() { vq4j_free(ctx, p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  // A CPU context copies host to host whatever the kind says.
  Vec get() const {
    Vec out(count);
    if (vq4j_memcpy(ctx, out.data(), p, sizeof(float) * count, VQ4J_COPY_DEVICE_TO_HOST) != VQ4J_OK)
      std::printf("copy out failed: %s\n", vq4j_last_error(ctx));
    return out;
  }
};

struct Out {
  Vec y, dx, dw, db;
};

int status_of(vq4j_ctx* ctx, int status, const Case& c, const char* pass) {
  if (status != VQ4J_OK) std::printf("  %s %s: status %d: %s\n", c.name().c_str(), pass, status, vq4j_last_error(ctx));
  return status;
}

// Runs the three passes of c on ctx; elapsed: seconds of `repeat` runs of each pass (synchronised).
int run(vq4j_ctx* ctx, const Case& c, const Vec& x, const Vec& w, const Vec& b, const Vec& dy, Out* out,
        int repeat = 0, double* elapsed = nullptr) {
  Buf X(ctx, x), W(ctx, w), B(ctx, b), DY(ctx, dy);
  Buf Y(ctx, Vec(c.ny(), kNaN)), DX(ctx, Vec(c.nx(), kNaN)), DW(ctx, Vec(c.nw(), kNaN)), DB(ctx, Vec(c.co, kNaN));
  auto fwd = [&] {
    switch (c.family) {
      case kConv:
        return vq4j_conv2d_fwd(ctx, X.p, W.p, B.p, Y.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.kw, c.stride, c.pad);
      case kTransposed:
        return vq4j_conv_transpose2d_fwd(ctx, X.p, W.p, B.p, Y.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.kw, c.stride,
                                         c.pad);
      default:
        return vq4j_masked_conv2d_fwd(ctx, X.p, W.p, B.p, Y.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.mask);
    }
  };
  auto bwd_data = [&] {
    switch (c.family) {
      case kConv:
        return vq4j_conv2d_bwd_data(ctx, DY.p, W.p, DX.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.kw, c.stride, c.pad);
      case kTransposed:
        return vq4j_conv_transpose2d_bwd_data(ctx, DY.p, W.p, DX.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.kw,
                                              c.stride, c.pad);
      default:
        return vq4j_masked_conv2d_bwd_data(ctx, DY.p, W.p, DX.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.mask);
    }
  };
  auto bwd_weight = [&] {
    switch (c.family) {
      case kConv:
        return vq4j_conv2d_bwd_weight(ctx, X.p, DY.p, DW.p, DB.p, c.n, c.h, c.w, c.ci, c.co, c.kh, c.kw, c.stride,
                                      c.pad);
      case kTransposed:
        return vq4j_conv_transpose2d_bwd_weight(ctx, X.p, DY.p, DW.p, DB.p, c.n, c.h, c.w, c.ci, c.co, c.kh,
                                                c.kw, c.stride, c.pad);
      default:
        return vq4j_masked_conv2d_bwd_weight(ctx, X.p, DY.p, DW.p, DB.p, c.n, c.h, c.w, c.ci, c.co, c.kh,
                                             c.mask);
    }
  };
  if (status_of(ctx, fwd(), c, "forward") || status_of(ctx, bwd_data(), c, "backward-data") ||
      status_of(ctx, bwd_weight(), c, "backward-weight") || status_of(ctx, vq4j_sync(ctx), c, "sync"))
    return 1;
  out->y = Y.get();
  out->dx = DX.get();
  out->dw = DW.get();
  out->db = DB.get();
  if (repeat > 0 && elapsed != nullptr) {
    using clock = std::chrono::steady_clock;
    int st = 0;
    auto t0 = clock::now();
    for (int r = 0; r < repeat; ++r) st |= fwd();
    st |= vq4j_sync(ctx);
    auto t1 = clock::now();
    for (int r = 0; r < repeat; ++r) st |= bwd_data();
    st |= vq4j_sync(ctx);
    auto t2 = clock::now();
    for (int r = 0; r < repeat; ++r) st |= bwd_weight();
    st |= vq4j_sync(ctx);
    auto t3 = clock::now();
    elapsed[0] = std::chrono::duration<double>(t1 - t0).count() / repeat;
    elapsed[1] = std::chrono::duration<double>(t2 - t1).count() / repeat;
    elapsed[2] = std::chrono::duration<double>(t3 - t2).count() / repeat;
    if (st != 0) return status_of(ctx, st, c, "timing");
  }
  return 0;
}

void compare(const std::string& what, const Vec& want, const Vec& got, bool loose) {
  double sum_sq = 0;
  for (float v : want) sum_sq += static_cast<double>(v) * v;
  const double scale = std::fmax(1.0, want.empty() ? 0.0 : std::sqrt(sum_sq / want.size()));
  const double atol = (loose ? 5e-3 : 1e-4) * scale, rtol = loose ? 5e-3 : 1e-4;
  double worst = 0;
  long bad = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= atol + rtol * std::fabs(want[i])) && bad < 0) bad = static_cast<long>(i);
    if (!(err <= worst)) worst = err;
  }
  if (bad < 0) {
    ++passed;
    return;
  }
  ++failed;
  std::printf("FAIL %s: element %ld want %g got %g (max error %g, atol %g)\n", what.c_str(), bad, want[bad], got[bad],
              worst, atol);
}

void same_bits(const std::string& what, const Vec& a, const Vec& b) {
  if (a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0) {
    ++passed;
    return;
  }
  ++failed;
  std::printf("FAIL %s: two identical GPU runs differ\n", what.c_str());
}

void check_case(vq4j_ctx* cpu, vq4j_ctx* gpu, const Case& c, uint64_t seed, bool twice, bool time) {
  Rng rng{seed};
  const Vec x = rng.vec(c.nx()), w = rng.vec(c.nw()), b = rng.vec(c.co), dy = rng.vec(c.ny());
  Out want, got;
  double secs[3] = {0, 0, 0};
  if (run(cpu, c, x, w, b, dy, &want) != 0 || run(gpu, c, x, w, b, dy, &got, time ? 20 : 0, secs) != 0) {
    ++failed;
    std::printf("FAIL %s: an op failed\n", c.name().c_str());
    return;
  }
  const std::string n = c.name();
  compare(n + " y", want.y, got.y, tf32 && c.family != kTransposed);
  compare(n + " dx", want.dx, got.dx, tf32 && c.family == kTransposed);
  compare(n + " dw", want.dw, got.dw, false);
  compare(n + " db", want.db, got.db, false);
  if (c.family == kMasked) {
    bool zero = true;
    for (size_t e = 0; e < got.dw.size(); ++e) {
      const int t = static_cast<int>(e / c.ci % (c.kh * c.kh));
      if (!keeps(c.mask, c.kh, t / c.kh, t % c.kh) && got.dw[e] != 0.0f) zero = false;
    }
    if (zero) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s: a masked weight gradient is not exactly 0\n", n.c_str());
    }
  }
  if (twice) {
    Out again;
    if (run(gpu, c, x, w, b, dy, &again) != 0) {
      ++failed;
      return;
    }
    same_bits(n + " y", got.y, again.y);
    same_bits(n + " dx", got.dx, again.dx);
    same_bits(n + " dw", got.dw, again.dw);
    same_bits(n + " db", got.db, again.db);
  }
  if (time) {
    std::printf("  %-52s fwd %8.1f us  bwd-data %8.1f us  bwd-weight %8.1f us\n", n.c_str(), secs[0] * 1e6,
                secs[1] * 1e6, secs[2] * 1e6);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool small = false, cpu_as_gpu = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--small") == 0) small = true;
    if (std::strcmp(argv[i], "--cpu") == 0) cpu_as_gpu = true;
  }
  const char* env = std::getenv("VQ4J_CONV_TF32");
  tf32 = env != nullptr && std::strcmp(env, "1") == 0;
  if (!cpu_as_gpu && vq4j_cuda_device_count() == 0) {
    std::printf("conv_gpu_check: no CUDA device (built with CUDA: %d); skipped\n", vq4j_cuda_built());
    return 2;
  }
  vq4j_ctx* cpu = vq4j_ctx_create(-1);
  vq4j_ctx* gpu = vq4j_ctx_create(cpu_as_gpu ? -1 : 0);
  if (cpu == nullptr || gpu == nullptr || vq4j_ctx_status(gpu) != VQ4J_OK) {
    std::printf("cannot open the contexts: %s\n", gpu ? vq4j_last_error(gpu) : "out of memory");
    return 1;
  }
  std::printf("conv_gpu_check: %s, fprop %s\n", cpu_as_gpu ? "CPU standing in for the GPU" : "CUDA device 0",
              tf32 ? "TF32 (VQ4J_CONV_TF32=1)" : "FP32");
  std::vector<Case> cases = {
      conv(2, 7, 13, 3, 5, 3, 3, 1, 1),    conv(1, 13, 7, 1, 5, 3, 3, 2, 1),    conv(2, 13, 7, 1, 5, 3, 3, 1, 1),
      conv(2, 7, 13, 5, 3, 1, 1, 1, 0),    conv(1, 6, 7, 2, 3, 1, 1, 2, 0),     conv(3, 8, 8, 3, 5, 4, 4, 2, 1),
      conv(2, 5, 6, 3, 4, 5, 5, 3, 2),     conv(1, 10, 11, 3, 2, 2, 2, 3, 0),   conv(2, 9, 10, 4, 6, 3, 2, 2, 1),
      conv(1, 4, 4, 2, 3, 4, 4, 1, 3),     conv(1, 1, 1, 3, 5, 1, 1, 1, 0),     conv(1, 3, 40, 2, 2, 3, 5, 1, 2),
      conv(2, 13, 7, 67, 65, 3, 3, 1, 1),  conv(1, 9, 11, 7, 70, 3, 3, 2, 0),   conv(2, 9, 9, 130, 8, 3, 3, 1, 1),
      conv(9, 16, 16, 3, 5, 3, 3, 1, 1),
      transposed(2, 7, 13, 3, 5, 4, 4, 2, 1), transposed(1, 7, 13, 1, 5, 3, 3, 1, 1),
      transposed(2, 4, 5, 5, 3, 3, 3, 2, 0),  transposed(2, 7, 7, 3, 5, 1, 1, 1, 0),
      transposed(1, 3, 4, 70, 66, 4, 4, 2, 1), transposed(1, 5, 4, 2, 3, 3, 3, 3, 1),
      transposed(1, 6, 5, 3, 4, 5, 3, 2, 2),  transposed(3, 16, 16, 3, 5, 4, 4, 2, 1),
  };
  for (int mask = VQ4J_MASK_A; mask <= VQ4J_MASK_H_B; ++mask) {
    for (int k : {3, 5}) {
      cases.push_back(masked(mask, 2, 7, 13, 3, 5, k));
      cases.push_back(masked(mask, 1, 13, 7, 1, 5, k));
      cases.push_back(masked(mask, 1, 6, 5, 66, 70, k));
    }
    cases.push_back(masked(mask, 2, 5, 4, 3, 2, 1));
  }
  uint64_t seed = 1;
  for (const Case& c : cases) check_case(cpu, gpu, c, seed++, true, false);
  if (!small) {
    const std::vector<Case> large = {
        conv(32, 32, 32, 64, 128, 3, 3, 1, 1),       conv(32, 32, 32, 64, 128, 4, 4, 2, 1),
        conv(32, 32, 32, 64, 128, 1, 1, 1, 0),       transposed(32, 16, 16, 128, 64, 4, 4, 2, 1),
        masked(VQ4J_MASK_A, 32, 32, 32, 64, 128, 5), masked(VQ4J_MASK_V_B, 32, 32, 32, 64, 128, 3),
        masked(VQ4J_MASK_H_B, 32, 32, 32, 64, 128, 3),
    };
    for (const Case& c : large) check_case(cpu, gpu, c, seed++, true, !cpu_as_gpu);
  }
  vq4j_ctx_destroy(gpu);
  vq4j_ctx_destroy(cpu);
  std::printf("conv_gpu_check: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
