// bench/gpu/emu/run.sh's test: every non-conv CUDA launcher, run under the CPU emulation of this folder's
// cuda_runtime.h, against the CPU reference, on the shapes of CudaOpsParityTest: index math, grid-stride
// loops (a count beyond the 8192-block cap), barriers and shuffles, the row-ordered sums (bit-identical to
// the CPU's), ties in the argmin, and the index-error messages. Prints "N passed, M failed".
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "adam/adam.h"
#include "context.h"
#include "elementwise/elementwise.h"
#include "embedding/embedding.h"
#include "gated_activation/gated_activation.h"
#include "losses/losses.h"
#include "vq_codebook_update/vq_codebook_update.h"
#include "vq_quantize/vq_quantize.h"

using V = std::vector<float>;
using I = std::vector<int>;
static int passed = 0, failed = 0;
static std::mt19937 rng(7);

static V randn(size_t n, float scale = 1.f) {
  std::normal_distribution<float> g(0.f, scale);
  V v(n);
  for (auto& x : v) x = g(rng);
  return v;
}
static I ids(int rows, int k, bool collapsed) {
  std::uniform_int_distribution<int> u(0, k - 1);
  I v(rows);
  for (auto& x : v) x = collapsed ? k - 1 : u(rng);
  return v;
}
static void check(bool ok, const std::string& what) {
  if (ok) ++passed; else { ++failed; std::printf("FAIL %s\n", what.c_str()); }
}
// bit-identical when rtol == 0
static void same(const V& a, const V& b, const std::string& what, double rtol = 0, double atol = 0) {
  if (a.size() != b.size()) { check(false, what + " size"); return; }
  for (size_t i = 0; i < a.size(); ++i) {
    bool ok = rtol == 0 && atol == 0 ? std::memcmp(&a[i], &b[i], 4) == 0
                                     : std::fabs((double)a[i] - b[i]) <= atol + rtol * std::fabs((double)a[i]);
    if (!ok) {
      check(false, what + " at " + std::to_string(i) + ": cpu " + std::to_string(a[i]) + " emu " + std::to_string(b[i]));
      return;
    }
  }
  check(true, what);
}
static std::string body(const char* e) {
  std::string s(e);
  auto p = s.rfind(" (");
  return p == std::string::npos ? s : s.substr(0, p);
}

int main() {
  vq4j_ctx* cpu = vq4j_ctx_create(-1);
  vq4j_ctx* emu = vq4j_ctx_create(-1);  // a host context, but the _cuda launchers run on it (emulated)
  const int ROWS[] = {1, 1000, 2048}, KS[] = {1, 7, 513}, DS[] = {1, 3, 64};
  const long long COUNTS[] = {1, 7, 513, 131077, 2100000};

  for (long long n : COUNTS) {
    std::string w = " n=" + std::to_string(n);
    V x = randn(n), y1(n), y2(n), dy = randn(n), d1(n), d2(n);
    x[0] = 0;
    vq4j::relu_fwd_cpu(cpu, x.data(), y1.data(), n);
    check(vq4j::relu_fwd_cuda(emu, x.data(), y2.data(), n) == 0, "relu rc");
    same(y1, y2, "relu fwd" + w);
    vq4j::relu_bwd_cpu(cpu, y1.data(), dy.data(), d1.data(), n);
    vq4j::relu_bwd_cuda(emu, y1.data(), dy.data(), d2.data(), n);
    same(d1, d2, "relu bwd" + w);
    vq4j::add_cpu(cpu, x.data(), dy.data(), y1.data(), n);
    vq4j::add_cuda(emu, x.data(), dy.data(), y2.data(), n);
    same(y1, y2, "add" + w);
    float l1 = 0, l2 = 0;
    vq4j::mse_fwd_cpu(cpu, x.data(), dy.data(), &l1, n);
    vq4j::mse_fwd_cuda(emu, x.data(), dy.data(), &l2, n);
    same({l1}, {l2}, "mse fwd" + w, 1e-6);
    vq4j::mse_bwd_cpu(cpu, x.data(), dy.data(), d1.data(), 0.7f, n);
    vq4j::mse_bwd_cuda(emu, x.data(), dy.data(), d2.data(), 0.7f, n);
    same(d1, d2, "mse bwd" + w);
    for (double wd : {0.0, 0.01}) {
      V p1 = x, p2 = x, m1(n), m2(n), v1(n), v2(n);
      for (int t = 1; t <= 3; ++t) {
        V g = randn(n, t == 3 ? 1e-3f : 1.f);
        vq4j::adam_step_cpu(cpu, p1.data(), g.data(), m1.data(), v1.data(), n, 1e-3, 0.9, 0.999, 1e-8, wd, t);
        vq4j::adam_step_cuda(emu, p2.data(), g.data(), m2.data(), v2.data(), n, 1e-3, 0.9, 0.999, 1e-8, wd, t);
      }
      same(p1, p2, "adam param" + w);
      same(m1, m2, "adam m" + w);
      same(v1, v2, "adam v" + w);
    }
  }
  check(vq4j::relu_fwd_cuda(emu, nullptr, nullptr, 0) == 0, "relu count 0");
  check(vq4j::adam_step_cuda(emu, nullptr, nullptr, nullptr, nullptr, 0, 1e-3, .9, .999, 1e-8, 0, 1) == 0, "adam 0");

  for (int rows : ROWS) {
    for (int c : DS) {
      std::string w = " rows=" + std::to_string(rows) + " c=" + std::to_string(c);
      V x = randn((size_t)rows * 2 * c, 4.f), y1((size_t)rows * c), y2(y1.size()), dy = randn(y1.size());
      x[0] = 60;
      x.back() = -60;
      V dx1(x.size()), dx2(x.size());
      vq4j::gated_activation_fwd_cpu(cpu, x.data(), y1.data(), rows, c);
      vq4j::gated_activation_fwd_cuda(emu, x.data(), y2.data(), rows, c);
      same(y1, y2, "gated fwd" + w);
      vq4j::gated_activation_bwd_cpu(cpu, x.data(), dy.data(), dx1.data(), rows, c);
      vq4j::gated_activation_bwd_cuda(emu, x.data(), dy.data(), dx2.data(), rows, c);
      same(dx1, dx2, "gated bwd" + w);
    }
    for (int k : KS) {
      std::string w = " rows=" + std::to_string(rows) + " k=" + std::to_string(k);
      V logits = randn((size_t)rows * k, 3.f);
      for (int j = 0; j < k; ++j) logits[j] += 500;
      I t = ids(rows, k, false);
      float l1, l2, l3;
      V nll1(rows), nll2(rows), g1(logits.size()), g2(logits.size());
      vq4j::softmax_xent_fwd_cpu(cpu, logits.data(), t.data(), &l1, nll1.data(), rows, k);
      check(vq4j::softmax_xent_fwd_cuda(emu, logits.data(), t.data(), &l2, nll2.data(), rows, k) == 0, "xent rc");
      vq4j::softmax_xent_fwd_cuda(emu, logits.data(), t.data(), &l3, nullptr, rows, k);
      same({l1}, {l2}, "xent loss" + w, 1e-6);
      same({l2}, {l3}, "xent loss without nll" + w);
      same(nll1, nll2, "xent nll" + w, 1e-6, 1e-6);
      vq4j::softmax_xent_bwd_cpu(cpu, logits.data(), t.data(), g1.data(), 1.3f, rows, k);
      vq4j::softmax_xent_bwd_cuda(emu, logits.data(), t.data(), g2.data(), 1.3f, rows, k);
      same(g1, g2, "xent dlogits" + w, 1e-6, 1e-7);
      for (int d : DS) {
        std::string wd = w + " d=" + std::to_string(d);
        V table = randn((size_t)k * d), dyr = randn((size_t)rows * d);
        V ze = randn((size_t)rows * d), cb = randn((size_t)k * d);
        for (bool collapsed : {false, true}) {
          std::string wc = wd + (collapsed ? " collapsed" : "");
          I id = ids(rows, k, collapsed);
          V y1((size_t)rows * d), y2(y1.size()), dt1((size_t)k * d, 9.f), dt2(dt1.size(), 9.f);
          vq4j::embedding_fwd_cpu(cpu, table.data(), id.data(), y1.data(), rows, d, k);
          vq4j::embedding_fwd_cuda(emu, table.data(), id.data(), y2.data(), rows, d, k);
          same(y1, y2, "embedding fwd" + wc);
          vq4j::embedding_bwd_cpu(cpu, id.data(), dyr.data(), dt1.data(), rows, d, k);
          vq4j::embedding_bwd_cuda(emu, id.data(), dyr.data(), dt2.data(), rows, d, k);
          same(dt1, dt2, "embedding bwd" + wc);
          // quantizer backward and stats with these codes
          V zq((size_t)rows * d);
          for (int r = 0; r < rows; ++r) std::memcpy(&zq[(size_t)r * d], &cb[(size_t)id[r] * d], 4 * d);
          float vl1, vl2;
          vq4j::vq_loss_cpu(cpu, ze.data(), zq.data(), &vl1, rows, d);
          vq4j::vq_loss_cuda(emu, ze.data(), zq.data(), &vl2, rows, d);
          same({vl1}, {vl2}, "vq loss" + wc, 1e-6);
          V dze1(ze.size()), dze2(ze.size()), dcb1(cb.size(), 5.f), dcb2(cb.size(), 5.f);
          vq4j::vq_quantize_bwd_cpu(cpu, ze.data(), zq.data(), id.data(), dyr.data(), dze1.data(), dcb1.data(),
                                    0.25f, 1.5f, rows, d, k);
          vq4j::vq_quantize_bwd_cuda(emu, ze.data(), zq.data(), id.data(), dyr.data(), dze2.data(), dcb2.data(),
                                     0.25f, 1.5f, rows, d, k);
          same(dze1, dze2, "vq dz_e" + wc);
          same(dcb1, dcb2, "vq dcodebook" + wc);
          V dze3(ze.size());
          vq4j::vq_quantize_bwd_cuda(emu, ze.data(), zq.data(), id.data(), dyr.data(), dze3.data(), nullptr,
                                     0.25f, 1.5f, rows, d, 0x7fffffff);
          same(dze1, dze3, "vq dz_e without dcodebook" + wc);
          V cnt1(k), cnt2(k);
          float pp1, pp2;
          vq4j::vq_stats_cpu(cpu, id.data(), cnt1.data(), &pp1, rows, k);
          vq4j::vq_stats_cuda(emu, id.data(), cnt2.data(), &pp2, rows, k);
          same(cnt1, cnt2, "vq counts" + wc);
          same({pp1}, {pp2}, "vq perplexity" + wc);
          // EMA over two steps
          V ec1(k), ec2(k), es1 = cb, es2 = cb, c1 = cb, c2 = cb;
          for (int j = 0; j < k; ++j) ec1[j] = ec2[j] = (float)(j % 3);
          for (int step = 0; step < 2; ++step) {
            V z = randn((size_t)rows * d);
            I cs = step == 0 ? id : ids(rows, k, false);
            vq4j::vq_ema_update_cpu(cpu, z.data(), cs.data(), ec1.data(), es1.data(), c1.data(), 0.99f, 1e-5f, rows, d, k);
            vq4j::vq_ema_update_cuda(emu, z.data(), cs.data(), ec2.data(), es2.data(), c2.data(), 0.99f, 1e-5f, rows, d, k);
          }
          same(ec1, ec2, "ema count" + wc);
          same(es1, es2, "ema sum" + wc);
          same(c1, c2, "ema codebook" + wc);
        }
        // forward quantizer (the existing kernel), ties and near-ties
        I codes1(rows), codes2(rows);
        V zq1((size_t)rows * d), zq2(zq1.size());
        vq4j::vq_quantize_fwd_cpu(cpu, ze.data(), cb.data(), codes1.data(), zq1.data(), rows, d, k);
        vq4j::vq_quantize_fwd_cuda(emu, ze.data(), cb.data(), codes2.data(), zq2.data(), rows, d, k);
        int flips = 0;
        for (int r = 0; r < rows; ++r) flips += codes1[r] != codes2[r];
        check(flips == 0, "vq fwd codes" + wd + " flips=" + std::to_string(flips));
        same(zq1, zq2, "vq fwd z_q" + wd);
      }
    }
  }
  // ties: every code the same vector -> code 0
  {
    int k = 513, d = 64, rows = 1000;
    V row = randn(d), cb((size_t)k * d), ze = randn((size_t)rows * d), zq((size_t)rows * d);
    for (int j = 0; j < k; ++j) std::memcpy(&cb[(size_t)j * d], row.data(), 4 * d);
    I codes(rows, -1);
    vq4j::vq_quantize_fwd_cuda(emu, ze.data(), cb.data(), codes.data(), zq.data(), rows, d, k);
    bool all0 = true;
    for (int c : codes) all0 &= c == 0;
    check(all0, "ties: identical codebook -> code 0");
    V cb2 = randn(200 * 8), v = randn(8);
    for (int j : {3, 19, 70, 199}) std::memcpy(&cb2[j * 8], v.data(), 32);
    I c2(1);
    V q2(8);
    vq4j::vq_quantize_fwd_cuda(emu, v.data(), cb2.data(), c2.data(), q2.data(), 1, 8, 200);
    check(c2[0] == 3, "ties: duplicates at 3, 19, 70, 199 -> 3, got " + std::to_string(c2[0]));
  }
  // index errors: same message as the CPU
  {
    int rows = 1000, k = 7, d = 3;
    I bad(rows, 0);
    bad[rows / 2] = -1;
    bad[rows - 1] = k;
    V a((size_t)rows * k), b((size_t)rows * k), t((size_t)k * d, 3.f), t2 = t;
    float l;
    auto same_error = [&](int rc1, int rc2, const char* what) {
      check(rc1 == VQ4J_ERR_ARGUMENT && rc2 == VQ4J_ERR_ARGUMENT, std::string(what) + " status");
      check(body(vq4j_last_error(cpu)) == body(vq4j_last_error(emu)),
            std::string(what) + " message: cpu '" + vq4j_last_error(cpu) + "' emu '" + vq4j_last_error(emu) + "'");
    };
    same_error(vq4j::embedding_fwd_cpu(cpu, t.data(), bad.data(), a.data(), rows, d, k),
               vq4j::embedding_fwd_cuda(emu, t.data(), bad.data(), a.data(), rows, d, k), "embedding fwd");
    same_error(vq4j::embedding_bwd_cpu(cpu, bad.data(), a.data(), t.data(), rows, d, k),
               vq4j::embedding_bwd_cuda(emu, bad.data(), a.data(), t.data(), rows, d, k), "embedding bwd");
    same_error(vq4j::softmax_xent_fwd_cpu(cpu, a.data(), bad.data(), &l, nullptr, rows, k),
               vq4j::softmax_xent_fwd_cuda(emu, a.data(), bad.data(), &l, nullptr, rows, k), "xent fwd");
    same_error(vq4j::softmax_xent_bwd_cpu(cpu, a.data(), bad.data(), b.data(), 1, rows, k),
               vq4j::softmax_xent_bwd_cuda(emu, a.data(), bad.data(), b.data(), 1, rows, k), "xent bwd");
    same_error(vq4j::vq_stats_cpu(cpu, bad.data(), a.data(), &l, rows, k),
               vq4j::vq_stats_cuda(emu, bad.data(), a.data(), &l, rows, k), "vq stats");
    same_error(vq4j::vq_quantize_bwd_cpu(cpu, a.data(), a.data(), bad.data(), a.data(), b.data(), t.data(), 1, 1, rows, d, k),
               vq4j::vq_quantize_bwd_cuda(emu, a.data(), a.data(), bad.data(), a.data(), b.data(), t.data(), 1, 1, rows, d, k),
               "vq bwd");
    V ec(k, 1.f), es(t), cbk(t);
    same_error(vq4j::vq_ema_update_cpu(cpu, a.data(), bad.data(), ec.data(), es.data(), cbk.data(), .99f, 1e-5f, rows, d, k),
               vq4j::vq_ema_update_cuda(emu, a.data(), bad.data(), ec.data(), es.data(), cbk.data(), .99f, 1e-5f, rows, d, k),
               "ema");
    same(t2, es, "ema state untouched after the error");
    std::printf("sample message: %s\n", vq4j_last_error(emu));
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  vq4j_ctx_destroy(cpu);
  vq4j_ctx_destroy(emu);
  return failed ? 1 : 0;
}
