// The CPU convs of both models, oneDNN fast path against the hand-written reference, through the C API:
// both backends run alternately, round after round, in one process, so a busy machine slows both alike, and
// the figure kept per side is its fastest round (the least disturbed one). Prints one markdown row per pass.
//   cmake --build target/cmake --target vq4j_conv_bench && target/cmake/bin/vq4j_conv_bench [rounds] [batch]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "vq4j.h"

namespace {

struct Layer {
  const char* name;
  char kind;  // 'c' conv2d, 't' conv_transpose2d, 'm' masked_conv2d (mask B)
  int h, w, ci, co, k, s, p;
};

double best_of(int reps, const std::function<int()>& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    if (f() != VQ4J_OK) std::exit(1);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
  const int n = argc > 2 ? std::atoi(argv[2]) : 32;
  const Layer layers[] = {
      {"enc_conv1", 'c', 32, 32, 1, 64, 4, 2, 1},     {"enc_conv2", 'c', 16, 16, 64, 128, 4, 2, 1},
      {"enc_conv3", 'c', 8, 8, 128, 128, 3, 1, 1},    {"res_conv3x3", 'c', 8, 8, 128, 32, 3, 1, 1},
      {"res_conv1x1", 'c', 8, 8, 32, 128, 1, 1, 0},   {"pre_vq_conv1x1", 'c', 8, 8, 128, 64, 1, 1, 0},
      {"dec_convT1", 't', 8, 8, 128, 64, 4, 2, 1},    {"dec_convT2", 't', 16, 16, 64, 1, 4, 2, 1},
      {"masked_b3x3", 'm', 8, 8, 64, 128, 3, 1, 1},
  };
  vq4j_ctx* fast = vq4j_ctx_create(-1);
  vq4j_ctx* ref = vq4j_ctx_create(-1);
  vq4j_ctx_set_option(ref, VQ4J_OPT_CPU_REFERENCE, 1);
  std::printf("batch %d, %d rounds, best round per side\n\n", n, rounds);
  std::printf("| layer | pass | oneDNN us | reference us | reference / oneDNN | oneDNN GFLOP/s |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (const Layer& l : layers) {
    const bool t = l.kind == 't';
    const int oh = t ? (l.h - 1) * l.s - 2 * l.p + l.k : (l.h + 2 * l.p - l.k) / l.s + 1;
    const int ow = t ? (l.w - 1) * l.s - 2 * l.p + l.k : (l.w + 2 * l.p - l.k) / l.s + 1;
    std::vector<float> x(static_cast<size_t>(n) * l.h * l.w * l.ci, 0.01f), dx(x.size());
    std::vector<float> y(static_cast<size_t>(n) * oh * ow * l.co, 0.02f), dy(y);
    std::vector<float> w(static_cast<size_t>(l.co) * l.k * l.k * l.ci, 0.03f), dw(w.size());
    std::vector<float> b(l.co, 0.1f), db(l.co);
    const double flops = 2.0 * n * (t ? l.h * l.w : oh * ow) * l.co * l.ci * l.k * l.k;
    const char* passes[] = {"forward", "backward-data", "backward-weight"};
    for (int pass = 0; pass < 3; ++pass) {
      auto call = [&](vq4j_ctx* c) -> std::function<int()> {
        return [&, c, pass]() {
          switch (l.kind) {
            case 'c':
              return pass == 0 ? vq4j_conv2d_fwd(c, x.data(), w.data(), b.data(), y.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p)
                   : pass == 1 ? vq4j_conv2d_bwd_data(c, dy.data(), w.data(), dx.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p)
                               : vq4j_conv2d_bwd_weight(c, x.data(), dy.data(), dw.data(), db.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p);
            case 't':
              return pass == 0 ? vq4j_conv_transpose2d_fwd(c, x.data(), w.data(), b.data(), y.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p)
                   : pass == 1 ? vq4j_conv_transpose2d_bwd_data(c, dy.data(), w.data(), dx.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p)
                               : vq4j_conv_transpose2d_bwd_weight(c, x.data(), dy.data(), dw.data(), db.data(), n, l.h, l.w, l.ci, l.co, l.k, l.k, l.s, l.p);
            default:
              return pass == 0 ? vq4j_masked_conv2d_fwd(c, x.data(), w.data(), b.data(), y.data(), n, l.h, l.w, l.ci, l.co, l.k, VQ4J_MASK_B)
                   : pass == 1 ? vq4j_masked_conv2d_bwd_data(c, dy.data(), w.data(), dx.data(), n, l.h, l.w, l.ci, l.co, l.k, VQ4J_MASK_B)
                               : vq4j_masked_conv2d_bwd_weight(c, x.data(), dy.data(), dw.data(), db.data(), n, l.h, l.w, l.ci, l.co, l.k, VQ4J_MASK_B);
          }
        };
      };
      const auto f = call(fast), r = call(ref);
      double tf = 1e30, tr = 1e30;
      for (int round = 0; round < rounds; ++round) {
        tf = std::min(tf, best_of(3, f));
        tr = std::min(tr, best_of(3, r));
      }
      std::printf("| %s | %s | %.1f | %.1f | %.2f | %.0f |\n", l.name, passes[pass], tf * 1e6, tr * 1e6, tr / tf,
                  flops / tf * 1e-9);
    }
  }
  vq4j_ctx_destroy(fast);
  vq4j_ctx_destroy(ref);
  return 0;
}
