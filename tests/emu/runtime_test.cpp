// tests/emu/run.sh's runtime test: every non-conv CUDA launcher, run under the CPU emulation of this folder's
// cuda_runtime.h, against the CPU reference, on the shapes of CudaOpsParityTest: index math, grid-stride
// loops (a count beyond the 8192-block cap), barriers and shuffles, the row-ordered sums (bit-identical to
// the CPU's), ties in the argmin, the deferred index errors (reported at the next synchronisation with the
// CPU's message) and the staged uploads of native/src/cuda_runtime.cu. Prints "N passed, M failed".
#include <cuda_runtime.h>  // the emulated runtime of this folder, for its pinned-memory bookkeeping

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "adam/adam.h"
#include "context.h"
#include "elementwise/elementwise.h"
#include "embedding/embedding.h"
#include "fsq/fsq.h"
#include "gated_activation/gated_activation.h"
#include "l2_normalize/l2_normalize.h"
#include "losses/losses.h"
#include "vq_ema_update/vq_ema_update.h"
#include "vq_dead_codes/vq_dead_codes.h"
#include "vq_quantize/vq_quantize.h"
#include "vq_rotate_grad/vq_rotate_grad.h"

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
  vq4j_ctx* emu = vq4j_ctx_create(0);  // device 0 of the emulated runtime: the _cuda launchers run on the CPU
  check(vq4j_ctx_status(emu) == VQ4J_OK, std::string("emulated CUDA context: ") + vq4j_last_error(emu));
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
    for (double wd : {0.0, 0.01}) for (int dec : {0, 1}) {
      V p1 = x, p2 = x, m1(n), m2(n), v1(n), v2(n);
      for (int t = 1; t <= 3; ++t) {
        V g = randn(n, t == 3 ? 1e-3f : 1.f);
        vq4j::adam_step_cpu(cpu, p1.data(), g.data(), m1.data(), v1.data(), n, 1e-3, 0.9, 0.999, 1e-8, wd, t, dec);
        vq4j::adam_step_cuda(emu, p2.data(), g.data(), m2.data(), v2.data(), n, 1e-3, 0.9, 0.999, 1e-8, wd, t, dec);
      }
      same(p1, p2, "adam param" + w);
      same(m1, m2, "adam m" + w);
      same(v1, v2, "adam v" + w);
    }
  }
  check(vq4j::relu_fwd_cuda(emu, nullptr, nullptr, 0) == 0, "relu count 0");
  // Dead-code tracking and restart: integer hash, copies and a double update spelled without fma: the CPU's bits.
  for (int k : {7, 300, 1000}) {
    for (bool ema : {false, true}) {
      for (int restart : {0, 1}) {
        const int rows = 45, d = 6;
        std::string w = " k=" + std::to_string(k) + (ema ? " ema" : "") + (restart ? " restart" : "");
        V counts(k), usage(k);
        for (int j = 0; j < k; ++j) {
          counts[j] = j % 3 == 0 ? 0.f : (float)(j % 5);
          usage[j] = j % 4 == 0 ? 1.005f : 0.5f + (float)(j % 9) / 4;
        }
        V ze = randn((size_t)rows * d), cb1 = randn((size_t)k * d), cb2 = cb1, sum1 = randn((size_t)k * d), sum2 = sum1;
        V n1 = randn(k), n2 = n1, u1 = usage, u2 = usage, dead1(1), dead2(1);
        I r1(k, 7), r2(k, 9);
        vq4j::vq_dead_codes_cpu(cpu, counts.data(), u1.data(), ze.data(), cb1.data(), ema ? n1.data() : nullptr,
                                ema ? sum1.data() : nullptr, r1.data(), dead1.data(), rows, d, k, 0.99, 1.f, restart,
                                0x8000123456789ABCull);
        check(vq4j::vq_dead_codes_cuda(emu, counts.data(), u2.data(), ze.data(), cb2.data(), ema ? n2.data() : nullptr,
                                       ema ? sum2.data() : nullptr, r2.data(), dead2.data(), rows, d, k, 0.99, 1.f,
                                       restart, 0x8000123456789ABCull) == 0, "dead codes rc" + w);
        same(u1, u2, "dead codes usage" + w);
        same(dead1, dead2, "dead codes count" + w);
        check(dead1[0] > 0 && dead1[0] < k, "dead codes: some live, some dead" + w);
        check(r1 == r2, "dead codes restarted mask" + w);
        same(cb1, cb2, "dead codes codebook" + w);
        same(n1, n2, "dead codes ema count" + w);
        same(sum1, sum2, "dead codes ema sum" + w);
        V m1 = randn((size_t)k * d), m2 = m1, v1 = randn((size_t)k * d), v2 = v1;
        vq4j::adam_reset_rows_cpu(cpu, m1.data(), v1.data(), r1.data(), k, d);
        vq4j::adam_reset_rows_cuda(emu, m2.data(), v2.data(), r1.data(), k, d);
        same(m1, m2, "adam reset rows m" + w);
        same(v1, v2, "adam reset rows v" + w);
      }
    }
  }
  check(vq4j::adam_step_cuda(emu, nullptr, nullptr, nullptr, nullptr, 0, 1e-3, .9, .999, 1e-8, 0, 1, 0) == 0, "adam 0");

  for (int rows : ROWS) {
    for (int c : DS) {
      std::string w = " rows=" + std::to_string(rows) + " c=" + std::to_string(c);
      V x = randn((size_t)rows * 2 * c, 4.f), y1((size_t)rows * c), y2(y1.size()), dy = randn(y1.size());
      x[0] = 60;
      x.back() = -60;
      V dx1(x.size()), dx2(x.size());
      vq4j::gated_activation_fwd_cpu(cpu, x.data(), y1.data(), rows, c);
      vq4j::gated_activation_fwd_cuda(emu, x.data(), y2.data(), rows, c);
      // The CPU's tanh/sigmoid are vec_math_cpu.h's polynomials, the emulated device's glibc's: a few ulp apart.
      same(y1, y2, "gated fwd" + w, 1e-5, 1e-6);
      vq4j::gated_activation_bwd_cpu(cpu, x.data(), dy.data(), dx1.data(), rows, c);
      vq4j::gated_activation_bwd_cuda(emu, x.data(), dy.data(), dx2.data(), rows, c);
      same(dx1, dx2, "gated bwd" + w, 1e-5, 1e-6);
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
  // rotation trick, l2 normalisation and FSQ: one warp per row (d below, at and above 32), rows past the grid cap, and
  // the rows without a rotation (z_e = 0, z_q = 0, opposite directions)
  // 70000 rows (past grid_for's cap) emulate 8192 blocks of OS threads: minutes on 2 cores, so only on demand.
  std::vector<int> quantizer_rows = {1, 37};
  if (std::getenv("VQ4J_EMU_LARGE") != nullptr) quantizer_rows.push_back(70000);
  for (int rows : quantizer_rows) {
    for (int d : {3, 32, 64, 77}) {
      const std::string w = " rows=" + std::to_string(rows) + " d=" + std::to_string(d);
      V ze = randn((size_t)rows * d), zq = randn((size_t)rows * d, 0.5f), g = randn((size_t)rows * d);
      std::fill(ze.begin(), ze.begin() + d, 0.f);
      if (rows > 2) {
        std::fill(zq.begin() + d, zq.begin() + 2 * d, 0.f);
        for (int c = 0; c < d; ++c) zq[2 * (size_t)d + c] = -2 * ze[2 * (size_t)d + c];
      }
      V r1(ze.size()), r2(ze.size());
      vq4j::vq_rotate_grad_cpu(cpu, ze.data(), zq.data(), g.data(), r1.data(), rows, d);
      check(vq4j::vq_rotate_grad_cuda(emu, ze.data(), zq.data(), g.data(), r2.data(), rows, d) == 0, "rotate rc" + w);
      same(r1, r2, "rotate grad" + w, 1e-6, 1e-6);
      vq4j::vq_rotate_grad_cuda(emu, ze.data(), zq.data(), g.data(), g.data(), rows, d);
      same(r1, g, "rotate grad in place" + w, 1e-6, 1e-6);
      V y1(ze.size()), y2(ze.size()), dx1(ze.size()), dx2(ze.size());
      vq4j::l2_normalize_fwd_cpu(cpu, zq.data(), y1.data(), rows, d);
      vq4j::l2_normalize_fwd_cuda(emu, zq.data(), y2.data(), rows, d);
      same(y1, y2, "l2 normalize fwd" + w, 1e-6, 1e-7);
      vq4j::l2_normalize_bwd_cpu(cpu, zq.data(), ze.data(), dx1.data(), rows, d);
      vq4j::l2_normalize_bwd_cuda(emu, zq.data(), ze.data(), dx2.data(), rows, d);
      same(dx1, dx2, "l2 normalize bwd" + w, 1e-6, 1e-6);
    }
    for (const std::vector<int>& levels : {std::vector<int>{8, 5, 5, 5}, std::vector<int>{7, 2}, std::vector<int>(16, 3)}) {
      const int d = (int)levels.size();
      const std::string w = " rows=" + std::to_string(rows) + " d=" + std::to_string(d);
      V z = randn((size_t)rows * d, 2.f), q1(z.size()), q2(z.size()), dq = randn(z.size()), dz1(z.size()), dz2(z.size());
      I c1(rows), c2(rows);
      vq4j::fsq_fwd_cpu(cpu, z.data(), levels.data(), c1.data(), q1.data(), rows, d);
      check(vq4j::fsq_fwd_cuda(emu, z.data(), levels.data(), c2.data(), q2.data(), rows, d) == 0, "fsq rc" + w);
      check(c1 == c2, "fsq codes" + w);
      same(q1, q2, "fsq z_q" + w);
      vq4j::fsq_bwd_cpu(cpu, z.data(), levels.data(), dq.data(), dz1.data(), rows, d);
      vq4j::fsq_bwd_cuda(emu, z.data(), levels.data(), dq.data(), dz2.data(), rows, d);
      same(dz1, dz2, "fsq dz" + w);
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
  // index errors: the CUDA op returns at once, the next synchronisation reports the first failure since the
  // last one, with the CPU's message and the op's name; the bad rows never address memory
  {
    check(vq4j_sync(emu) == VQ4J_OK, "clean window before the index errors");
    const int rows = 1000, k = 7, d = 3;
    I bad(rows, 0);
    bad[rows / 2] = -1;
    bad[rows - 1] = k;
    // The table sits between NaN guard rows: a gather through -1 or k would bring NaN into y.
    V guarded((size_t)(k + 2) * d, NAN);
    for (size_t i = d; i < (size_t)(k + 1) * d; ++i) guarded[i] = (float)i;
    const float* table = guarded.data() + d;
    V a((size_t)rows * k), b((size_t)rows * k, NAN), y((size_t)rows * d, NAN), dy = randn((size_t)rows * d);
    V t((size_t)k * d, 3.f), t2 = t, nll(rows, NAN);
    float l = NAN, pp = NAN;
    auto expect_report = [&](const std::string& op, const std::string& cpu_body, int rc) {
      const std::string want = "vq4j_" + op + ": " + cpu_body + " (found on the device";
      const std::string got = vq4j_last_error(emu);
      check(rc == VQ4J_ERR_ARGUMENT, op + " reported as an argument error, got " + std::to_string(rc));
      check(got.rfind(want, 0) == 0, op + " message: want '" + want + "...' got '" + got + "'");
    };
    // cpu_call fails at the call; emu_call succeeds and its failure arrives at vq4j_sync, once.
    auto deferred = [&](const std::string& op, auto cpu_call, auto emu_call) {
      check(cpu_call() == VQ4J_ERR_ARGUMENT, op + " on the CPU fails at the call");
      const std::string cpu_body = body(vq4j_last_error(cpu));
      check(emu_call() == VQ4J_OK, op + " on the device returns at once");
      expect_report(op, cpu_body, vq4j_sync(emu));
      check(vq4j_sync(emu) == VQ4J_OK, op + ": the slots are clean after the report");
    };
    deferred("embedding_fwd", [&] { return vq4j::embedding_fwd_cpu(cpu, table, bad.data(), a.data(), rows, d, k); },
             [&] { return vq4j::embedding_fwd_cuda(emu, table, bad.data(), y.data(), rows, d, k); });
    bool gathered = true;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < d; ++c)
        gathered &= y[(size_t)r * d + c] == (r == rows / 2 || r == rows - 1 ? 0.f : table[c]);
    check(gathered, "embedding fwd: zeros for the bad rows, the table row for the others");
    deferred("embedding_bwd", [&] { return vq4j::embedding_bwd_cpu(cpu, bad.data(), dy.data(), t2.data(), rows, d, k); },
             [&] { return vq4j::embedding_bwd_cuda(emu, bad.data(), dy.data(), t.data(), rows, d, k); });
    V want_dt((size_t)k * d, 0.f);  // the CPU's row-order sums without the bad rows
    for (int r = 0; r < rows; ++r)
      if (bad[r] >= 0 && bad[r] < k)
        for (int c = 0; c < d; ++c) want_dt[(size_t)bad[r] * d + c] += dy[(size_t)r * d + c];
    same(want_dt, t, "embedding bwd: the bad rows left out");
    deferred("softmax_xent_fwd",
             [&] { return vq4j::softmax_xent_fwd_cpu(cpu, a.data(), bad.data(), &l, nullptr, rows, k); },
             [&] { return vq4j::softmax_xent_fwd_cuda(emu, a.data(), bad.data(), &l, nll.data(), rows, k); });
    check(nll[rows / 2] == 0 && nll[rows - 1] == 0 && std::fabs(nll[0] - std::log(7.f)) < 1e-6 && std::isfinite(l),
          "xent fwd: a term of 0 for the bad rows");
    deferred("softmax_xent_bwd",
             [&] { return vq4j::softmax_xent_bwd_cpu(cpu, a.data(), bad.data(), a.data(), 1, rows, k); },
             [&] { return vq4j::softmax_xent_bwd_cuda(emu, a.data(), bad.data(), b.data(), 1, rows, k); });
    bool zero_rows = true;
    for (int r : {rows / 2, rows - 1})
      for (int j = 0; j < k; ++j) zero_rows &= b[(size_t)r * k + j] == 0.f;
    check(zero_rows && std::isfinite(b[0]) && b[0] < 0, "xent bwd: zeros for the bad rows");
    V counts(k, NAN);
    deferred("vq_stats", [&] { return vq4j::vq_stats_cpu(cpu, bad.data(), a.data(), &l, rows, k); },
             [&] { return vq4j::vq_stats_cuda(emu, bad.data(), counts.data(), &pp, rows, k); });
    V want_counts(k, 0.f);
    want_counts[0] = rows - 2;
    same(want_counts, counts, "vq stats: the bad rows not counted");
    V ze = randn((size_t)rows * d), zq = randn((size_t)rows * d), dze((size_t)rows * d), dcb((size_t)k * d, NAN);
    deferred("vq_quantize_bwd",
             [&] { return vq4j::vq_quantize_bwd_cpu(cpu, ze.data(), zq.data(), bad.data(), dy.data(), dze.data(),
                                                     t2.data(), 1, 1, rows, d, k); },
             [&] { return vq4j::vq_quantize_bwd_cuda(emu, ze.data(), zq.data(), bad.data(), dy.data(), dze.data(),
                                                      dcb.data(), 1, 1, rows, d, k); });
    bool finite = true;
    for (float v : dcb) finite &= std::isfinite(v);
    check(finite, "vq bwd: every dcodebook value written");
    V ec(k, 1.f), es(t), cbk(t), ec0 = ec, es0 = es, cbk0 = cbk;
    deferred("vq_ema_update",
             [&] { return vq4j::vq_ema_update_cpu(cpu, ze.data(), bad.data(), ec.data(), es.data(), cbk.data(), .99f,
                                                   1e-5f, rows, d, k); },
             [&] { return vq4j::vq_ema_update_cuda(emu, ze.data(), bad.data(), ec.data(), es.data(), cbk.data(), .99f,
                                                    1e-5f, rows, d, k); });
    same(ec0, ec, "ema count untouched after the error");
    same(es0, es, "ema sum untouched after the error");
    same(cbk0, cbk, "ema codebook untouched after the error");
    std::printf("sample message: %s\n", vq4j_last_error(emu));

    vq4j::embedding_fwd_cpu(cpu, table, bad.data(), a.data(), rows, d, k);
    const std::string embedding_body = body(vq4j_last_error(cpu));
    // A device-to-host copy is a synchronisation too, and its bytes still arrive.
    V back(y.size(), NAN);
    check(vq4j::embedding_fwd_cuda(emu, table, bad.data(), y.data(), rows, d, k) == VQ4J_OK, "fwd before a copy");
    expect_report("embedding_fwd", embedding_body,
                  vq4j_memcpy(emu, back.data(), y.data(), 4 * y.size(), VQ4J_COPY_DEVICE_TO_HOST));
    same(y, back, "the reporting copy still copies");
    check(vq4j_memcpy(emu, back.data(), y.data(), 4 * y.size(), VQ4J_COPY_DEVICE_TO_HOST) == VQ4J_OK,
          "the next copy is clean");
    // A device-to-device copy and a host-to-device copy are not synchronisations: the report waits.
    check(vq4j::embedding_fwd_cuda(emu, table, bad.data(), y.data(), rows, d, k) == VQ4J_OK, "fwd before copies");
    check(vq4j_memcpy(emu, back.data(), y.data(), 4 * y.size(), VQ4J_COPY_DEVICE_TO_DEVICE) == VQ4J_OK &&
              vq4j_memcpy(emu, back.data(), y.data(), 4 * y.size(), VQ4J_COPY_HOST_TO_DEVICE) == VQ4J_OK,
          "device-to-device and host-to-device copies do not report");
    expect_report("embedding_fwd", embedding_body, vq4j_sync(emu));
    // The first failure of a window is the one reported: a later one does not hide it, a clean call before
    // it does not count.
    I bad2(rows, 0);
    bad2[3] = 99;
    vq4j::vq_stats_cpu(cpu, bad2.data(), a.data(), &l, rows, k);
    const std::string stats_body = body(vq4j_last_error(cpu));
    I good(rows, 1);
    check(vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), rows, d, k) == VQ4J_OK &&
              vq4j::vq_stats_cuda(emu, bad2.data(), counts.data(), &pp, rows, k) == VQ4J_OK &&
              vq4j::embedding_fwd_cuda(emu, table, bad.data(), y.data(), rows, d, k) == VQ4J_OK,
          "three calls in one window");
    expect_report("vq_stats", stats_body, vq4j_sync(emu));
    check(vq4j_sync(emu) == VQ4J_OK, "the later failure of the window was dropped with the window");
    // kIndexChecks checks without a synchronisation: the next one synchronises at the call and reports.
    check(vq4j::vq_stats_cuda(emu, bad2.data(), counts.data(), &pp, rows, k) == VQ4J_OK, "window opener");
    bool quiet = true;
    for (int i = 1; i < vq4j::kIndexChecks; ++i)
      quiet &= vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), 1, d, k) == VQ4J_OK;
    check(quiet && emu->index_checks_used == vq4j::kIndexChecks, "a full window of checks, no report yet");
    expect_report("vq_stats", stats_body, vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), 1, d, k));
    check(emu->index_checks_used == 0 && vq4j_sync(emu) == VQ4J_OK, "the full window was reported and emptied");
  }
  // uploads: host-to-device copies go through the context's pinned staging slots and stay queued (the
  // emulated runtime runs a copy from pinned memory only when something waits for it), the caller's memory
  // is reused at once; more uploads than slots, sizes that grow the slots, and one past the staging cap
  {
    const size_t sizes[] = {4, 1, 100, 65536, 65537, 4, 3 << 20, 12, 200000, 7, (64u << 20) + 4, 8, 1 << 20,
                            65536, 5, 131072, 3, 2 << 20, 16, 64u << 20, 9, 10, 11, 12, 13, 14, 15, 16};
    std::vector<std::vector<unsigned char>> want;
    std::vector<void*> dev;
    for (size_t n : sizes) dev.push_back(vq4j_malloc(emu, n));
    std::vector<unsigned char> src;
    bool ok = true;
    for (size_t i = 0; i < std::size(sizes); ++i) {
      src.resize(sizes[i]);
      for (size_t j = 0; j < sizes[i]; ++j) src[j] = (unsigned char)(j * 31 + i * 7 + 1);
      want.push_back(src);
      ok &= vq4j_memcpy(emu, dev[i], src.data(), sizes[i], VQ4J_COPY_HOST_TO_DEVICE) == VQ4J_OK;
      std::memset(src.data(), 0xEE, src.size());  // the caller's buffer is its own again
    }
    check(ok, "uploads return OK");
    check(emu::pinned.size() <= vq4j::kStagingSlots, "no more pinned buffers than slots: " +
                                                         std::to_string(emu::pinned.size()));
    size_t largest = 0;
    for (const auto& slot : emu->staging) largest = std::max(largest, slot.bytes);
    check(largest >= (2u << 20) && largest <= (64u << 20), "the slots grew, not past the cap: " + std::to_string(largest));
    for (size_t i = 0; i < std::size(sizes); ++i) {
      std::vector<unsigned char> back(sizes[i]);
      check(vq4j_memcpy(emu, back.data(), dev[i], sizes[i], VQ4J_COPY_DEVICE_TO_HOST) == VQ4J_OK && back == want[i],
            "upload " + std::to_string(i) + " of " + std::to_string(sizes[i]) + " bytes landed");
      vq4j_free(emu, dev[i]);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  vq4j_ctx_destroy(cpu);
  vq4j_ctx_destroy(emu);
  return failed ? 1 : 0;
}
