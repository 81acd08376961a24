// tests/emu/run.sh's runtime test: what the op case file cannot say about the CUDA launchers, run under the
// CPU emulation of this folder's cuda_runtime.h: ties in the argmin, the deferred index and finiteness
// errors (reported at the next synchronisation with the CPU's message), the staged uploads of
// runtime/cuda_runtime.cu, zero counts, and the event ordering of a side stream (runtime/side_stream.h,
// on which the all-reduces of data-parallel training overlap the backward), with a stand-in reduce. Every op's parity with the CPU reference is the op harness's
// (tests/native/harness over tests/ops/cases.txt, which run.sh runs on the emulated devices too).
// Prints "N passed, M failed".
#include <cuda_runtime.h>  // the emulated runtime of this folder, for its pinned-memory bookkeeping

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "adam/adam.h"
#include "context.h"
#include "elementwise/elementwise.h"
#include "embedding/embedding.h"
#include "cuda_check.cuh"
#include "side_stream.h"
#include "losses/losses.h"
#include "vq_code_sums/vq_code_sums.h"
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
// A one-thread kernel on stream: f() once (lane 0 of a 32-thread block).
static void on_stream(cudaStream_t stream, std::function<void()> f) {
  emu::launch(emu::Config(dim3(1), dim3(32), 0, stream), [f] {
    if (emu::tIdx.x == 0) f();
  });
}

// The side stream's reduce (here: x *= 2, NCCL's all-reduce in comm/nccl_comm.cu) comes after the context's
// write of x (fork) and before its read of x (join), with whichever stream deferred: each order, broken,
// gives another value (3 or 0, not 6).
static void side_stream_ordering(vq4j_ctx* ctx) {
  for (bool defer_context : {true, false}) {
    const std::string what = defer_context ? "side stream, context's stream deferred: " : "side stream deferred: ";
    vq4j::SideStream side;
    check(vq4j::side_stream_open(ctx, &side) == cudaSuccess, what + "open");
    cudaStream_t deferred = defer_context ? vq4j::stream_of(ctx) : side.stream;
    emu::defer(deferred);
    float x = 0, read = -1;
    float* px = &x;
    float* pread = &read;
    on_stream(vq4j::stream_of(ctx), [px] { *px = 3; });  // the backward writes a bucket
    check(vq4j::side_stream_fork(ctx, &side) == cudaSuccess, what + "fork");
    on_stream(side.stream, [px] { *px *= 2; });             // its all-reduce
    check(vq4j::side_stream_join(ctx, &side) == cudaSuccess, what + "join");
    on_stream(vq4j::stream_of(ctx), [px, pread] { *pread = *px; });  // Adam reads it
    check(vq4j::side_stream_joined(&side) == cudaSuccess, what + "joined");
    emu::defer(deferred, false);
    check(read == 6 && x == 6, what + "x = 3, then doubled, then read: read " + std::to_string(read));
    vq4j::side_stream_close(&side);
  }
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
  // Zero counts launch nothing and succeed (the parity of every op, on random and edge shapes, is the op
  // harness's: tests/ops/cases.txt).
  check(vq4j::relu_fwd_cuda(emu, nullptr, nullptr, 0) == 0, "relu count 0");
  check(vq4j::adam_step_cuda(emu, nullptr, nullptr, nullptr, nullptr, 0, 1e-3, .9, .999, 1e-8, 0, 1, 0) == 0, "adam 0");
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
    float l = NAN;
    auto expect_report = [&](const std::string& op, const std::string& cpu_body, int rc,
                             int status = VQ4J_ERR_ARGUMENT) {
      const std::string want = "vq4j_" + op + ": " + cpu_body + " (found on the device";
      const std::string got = vq4j_last_error(emu);
      check(rc == status, op + " reported with status " + std::to_string(status) + ", got " + std::to_string(rc));
      check(got.rfind(want, 0) == 0, op + " message: want '" + want + "...' got '" + got + "'");
    };
    // cpu_call fails at the call; emu_call succeeds and its failure arrives at vq4j_sync, once, with the same
    // status (an index out of range: an argument error; a non-finite latent: VQ4J_ERR_NONFINITE).
    auto deferred = [&](const std::string& op, auto cpu_call, auto emu_call, int status = VQ4J_ERR_ARGUMENT) {
      check(cpu_call() == status, op + " on the CPU fails at the call");
      const std::string cpu_body = body(vq4j_last_error(cpu));
      check(emu_call() == VQ4J_OK, op + " on the device returns at once");
      expect_report(op, cpu_body, vq4j_sync(emu), status);
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
    deferred("vq_code_sums",
             [&] { return vq4j::vq_code_sums_cpu(cpu, bad.data(), nullptr, a.data(), nullptr, rows, d, k); },
             [&] { return vq4j::vq_code_sums_cuda(emu, bad.data(), nullptr, counts.data(), nullptr, rows, d, k); });
    V want_counts(k, 0.f);
    want_counts[0] = rows - 2;
    same(want_counts, counts, "vq code sums: the bad rows not counted");
    V ze = randn((size_t)rows * d), zq = randn((size_t)rows * d), dze((size_t)rows * d), dcb((size_t)k * d, NAN);
    deferred("vq_quantize_bwd",
             [&] { return vq4j::vq_quantize_bwd_cpu(cpu, ze.data(), zq.data(), bad.data(), dy.data(), dze.data(),
                                                     t2.data(), 1, 1, rows, d, k); },
             [&] { return vq4j::vq_quantize_bwd_cuda(emu, ze.data(), zq.data(), bad.data(), dy.data(), dze.data(),
                                                      dcb.data(), 1, 1, rows, d, k); });
    bool finite = true;
    for (float v : dcb) finite &= std::isfinite(v);
    check(finite, "vq bwd: every dcodebook value written");
    V sums((size_t)k * d, NAN), cpu_sums((size_t)k * d);
    deferred("vq_code_sums",
             [&] { return vq4j::vq_code_sums_cpu(cpu, bad.data(), ze.data(), a.data(), cpu_sums.data(), rows, d, k); },
             [&] { return vq4j::vq_code_sums_cuda(emu, bad.data(), ze.data(), counts.data(), sums.data(), rows, d, k); });
    V want_sums((size_t)k * d, 0.f);  // the good rows' sums, in double and row order as on the CPU
    {
      std::vector<double> acc((size_t)k * d, 0.0);
      for (int r = 0; r < rows; ++r)
        if (bad[r] >= 0 && bad[r] < k)
          for (int c = 0; c < d; ++c) acc[(size_t)bad[r] * d + c] += ze[(size_t)r * d + c];
      for (size_t i = 0; i < acc.size(); ++i) want_sums[i] = (float)acc[i];
    }
    same(want_sums, sums, "vq code sums: the bad rows left out of the sums");
    // Non-finite latents: the first in row order (then column order) is reported, NaN, inf or -inf as the
    // CPU prints it; every code stays within [0, k).
    for (const auto& poison : std::vector<std::vector<std::pair<size_t, float>>>{
             {{(size_t)5 * d + 0, -INFINITY}, {(size_t)2 * d + 2, NAN}, {(size_t)2 * d + 1, INFINITY}},
             {{(size_t)(rows - 1) * d + 2, -INFINITY}}}) {
      V z = randn((size_t)rows * d), codebook = randn((size_t)k * d), zq_out((size_t)rows * d);
      for (const auto& [at, value] : poison) z[at] = value;
      I codes(rows, -1);
      deferred("vq_quantize_fwd",
               [&] { return vq4j::vq_quantize_fwd_cpu(cpu, z.data(), codebook.data(), codes.data(), zq_out.data(), rows,
                                                      d, k); },
               [&] { return vq4j::vq_quantize_fwd_cuda(emu, z.data(), codebook.data(), codes.data(), zq_out.data(),
                                                       rows, d, k); },
               VQ4J_ERR_NONFINITE);
      bool in_range = true;
      for (int c : codes) in_range &= c >= 0 && c < k;
      check(in_range, "vq fwd: codes within [0, k) despite non-finite latents");
    }
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
    vq4j::vq_code_sums_cpu(cpu, bad2.data(), nullptr, a.data(), nullptr, rows, d, k);
    const std::string stats_body = body(vq4j_last_error(cpu));
    I good(rows, 1);
    check(vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), rows, d, k) == VQ4J_OK &&
              vq4j::vq_code_sums_cuda(emu, bad2.data(), nullptr, counts.data(), nullptr, rows, d, k) == VQ4J_OK &&
              vq4j::embedding_fwd_cuda(emu, table, bad.data(), y.data(), rows, d, k) == VQ4J_OK,
          "three calls in one window");
    expect_report("vq_code_sums", stats_body, vq4j_sync(emu));
    check(vq4j_sync(emu) == VQ4J_OK, "the later failure of the window was dropped with the window");
    // kIndexChecks checks without a synchronisation: the next one synchronises at the call and reports.
    check(vq4j::vq_code_sums_cuda(emu, bad2.data(), nullptr, counts.data(), nullptr, rows, d, k) == VQ4J_OK,
          "window opener");
    bool quiet = true;
    for (int i = 1; i < vq4j::kIndexChecks; ++i)
      quiet &= vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), 1, d, k) == VQ4J_OK;
    check(quiet && emu->index_checks_used == vq4j::kIndexChecks, "a full window of checks, no report yet");
    expect_report("vq_code_sums", stats_body, vq4j::embedding_fwd_cuda(emu, table, good.data(), y.data(), 1, d, k));
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
  side_stream_ordering(emu);
  std::printf("%d passed, %d failed\n", passed, failed);
  vq4j_ctx_destroy(cpu);
  vq4j_ctx_destroy(emu);
  return failed ? 1 : 0;
}
