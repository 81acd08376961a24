// Each family runs its ops through the C API only, so the same code drives every backend.
#include "op_families.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "session.h"

namespace harness {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  Vec uniform(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> u(lo, hi);
    Vec v(n);
    for (float& x : v) x = u(engine);
    return v;
  }
  Vec normal(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> g(0.0f, scale);
    Vec v(n);
    for (float& x : v) x = g(engine);
    return v;
  }
  IVec ints(size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> u(lo, hi);
    IVec v(n);
    for (int& x : v) x = u(engine);
    return v;
  }
};

// ---------------------------------------------------------------- conv2d, conv_transpose2d, masked_conv2d

int mask_of(const Case& c) {
  static const char* names[] = {"A", "B", "V_A", "V_B", "H_A", "H_B"};
  const std::string m = c.s("mask", "");
  for (int i = 0; i < 6; ++i)
    if (m == names[i]) return VQ4J_MASK_A + i;
  throw std::runtime_error("line " + std::to_string(c.line) + ": mask=" + m + " is none of A B V_A V_B H_A H_B");
}

// The taps a mask keeps (vq4j.h): A excludes the centre, B includes it; V_ keeps whole rows above the
// centre (V_B: and the centre row), H_ the centre row left of the centre (H_B: and the centre).
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

enum class Conv { kPlain, kTransposed, kMasked };

struct Geom {
  Conv kind;
  int n, h, w, ci, co, kh, kw, stride, pad, mask;
  int oh() const {
    return kind == Conv::kTransposed ? (h - 1) * stride - 2 * pad + kh : (h + 2 * pad - kh) / stride + 1;
  }
  int ow() const {
    return kind == Conv::kTransposed ? (w - 1) * stride - 2 * pad + kw : (w + 2 * pad - kw) / stride + 1;
  }
  size_t nx() const { return static_cast<size_t>(n) * h * w * ci; }
  size_t ny() const { return static_cast<size_t>(n) * oh() * ow() * co; }
  size_t nw() const { return static_cast<size_t>(co) * kh * kw * ci; }
  // Weight element e lies on a tap the mask drops (weights are [co, k, k, ci]).
  bool dropped(size_t e) const {
    if (kind != Conv::kMasked) return false;
    const int t = static_cast<int>(e / ci % (kh * kw));
    return !keeps(mask, kh, t / kw, t % kw);
  }
};

Geom geom(Conv kind, const Case& c) {
  if (kind == Conv::kMasked) {
    const int k = static_cast<int>(c.i("k"));
    return {kind, (int)c.i("n"), (int)c.i("h"), (int)c.i("w"), (int)c.i("ci"), (int)c.i("co"), k, k, 1, k / 2,
            mask_of(c)};
  }
  return {kind, (int)c.i("n"), (int)c.i("h"), (int)c.i("w"), (int)c.i("ci"), (int)c.i("co"), (int)c.i("kh"),
          (int)c.i("kw"), (int)c.i("stride"), (int)c.i("pad"), 0};
}

template <Conv kind>
Inputs conv_inputs(const Case& c, uint64_t seed) {
  const Geom g = geom(kind, c);
  Rng rng(seed);
  Inputs in;
  in.f["x"] = rng.uniform(g.nx());
  in.f["w"] = rng.uniform(g.nw());
  in.f["b"] = rng.uniform(g.co);
  in.f["dy"] = rng.uniform(g.ny());
  // NaN on the dropped taps: an op that reads one poisons its output.
  for (size_t e = 0; e < g.nw(); ++e)
    if (g.dropped(e)) in.f["w"][e] = kNaN;
  return in;
}

template <Conv kind>
std::string conv_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const Geom g = geom(kind, c);
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *w = s.in(in.f.at("w")), *b = s.in(in.f.at("b")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", g.ny()), *dx = s.out("dx", g.nx()), *dw = s.out("dw", g.nw()), *db = s.out("db", g.co);
  if (kind == Conv::kPlain) {
    s.op([&] {
      return vq4j_conv2d_fwd(ctx, x, w, b, y, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride, g.pad);
    });
    s.op([&] {
      return vq4j_conv2d_bwd_data(ctx, dy, w, dx, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride, g.pad);
    });
    s.op([&] {
      return vq4j_conv2d_bwd_weight(ctx, x, dy, dw, db, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride, g.pad);
    });
  } else if (kind == Conv::kTransposed) {
    s.op([&] {
      return vq4j_conv_transpose2d_fwd(ctx, x, w, b, y, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride, g.pad);
    });
    s.op([&] {
      return vq4j_conv_transpose2d_bwd_data(ctx, dy, w, dx, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride,
          g.pad);
    });
    s.op([&] {
      return vq4j_conv_transpose2d_bwd_weight(ctx, x, dy, dw, db, g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.stride,
                                              g.pad);
    });
  } else {
    float* y_direct = s.out("y_direct", g.ny());
    s.op([&] { return vq4j_masked_conv2d_fwd(ctx, x, w, b, y, g.n, g.h, g.w, g.ci, g.co, g.kh, g.mask); });
    s.op([&] {
      return vq4j_masked_conv2d_direct_fwd(ctx, x, w, b, y_direct, g.n, g.h, g.w, g.ci, g.co, g.kh, g.mask);
    });
    s.op([&] { return vq4j_masked_conv2d_bwd_data(ctx, dy, w, dx, g.n, g.h, g.w, g.ci, g.co, g.kh, g.mask); });
    s.op([&] {
      return vq4j_masked_conv2d_bwd_weight(ctx, x, dy, dw, db, g.n, g.h, g.w, g.ci, g.co, g.kh, g.mask);
    });
  }
  return s.finish(out);
}

// Masked weight gradients are exactly 0 (not merely small), so a masked layer's dropped taps never move.
std::string masked_zero(const Case& c, const Outputs& out) {
  const Geom g = geom(Conv::kMasked, c);
  const Vec& dw = out.at("dw");
  for (size_t e = 0; e < dw.size(); ++e)
    if (g.dropped(e) && dw[e] != 0.0f) return "dw[" + std::to_string(e) + "] on a dropped tap is not exactly 0";
  return "";
}

const std::vector<GradCheck> kConvGrads = {
    {"x", "y", "dy", "dx"}, {"w", "y", "dy", "dw"}, {"b", "y", "dy", "db"}};

// ---------------------------------------------------------------- elementwise, mse, adam

Inputs elementwise_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = c.i("count");
  in.f["x"] = rng.normal(n);
  in.f["x"][0] = 0.0f;  // relu's kink: its gradient is 0 there
  in.f["dy"] = rng.normal(n);
  return in;
}

std::string elementwise_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const long long n = c.i("count");
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", n), *dx = s.out("dx", n), *sum = s.out("sum", n);
  float* in_place = s.inout("y_in_place", in.f.at("x"));
  float* sum_in_place = s.inout("sum_in_place", in.f.at("x"));
  s.op([&] { return vq4j_relu_fwd(ctx, x, y, n); });
  s.op([&] { return vq4j_relu_bwd(ctx, y, dy, dx, n); });
  s.op([&] { return vq4j_add(ctx, x, dy, sum, n); });
  s.op([&] { return vq4j_relu_fwd(ctx, in_place, in_place, n); });
  s.op([&] { return vq4j_add(ctx, sum_in_place, dy, sum_in_place, n); });
  return s.finish(out);
}

Inputs mse_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = c.i("count");
  in.f["pred"] = rng.normal(n);
  in.f["target"] = rng.normal(n);
  in.f["scale"] = {0.7f};
  return in;
}

std::string mse_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const long long n = c.i("count");
  Session s(ctx);
  const float *p = s.in(in.f.at("pred")), *t = s.in(in.f.at("target"));
  float *loss = s.out("loss", 1), *dpred = s.out("dpred", n);
  s.op([&] { return vq4j_mse_fwd(ctx, p, t, loss, n); });
  s.op([&] { return vq4j_mse_bwd(ctx, p, t, dpred, in.f.at("scale")[0], n); });
  return s.finish(out);
}

Inputs adam_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = c.i("count");
  in.f["param"] = rng.normal(n);
  for (int t = 1; t <= 3; ++t) in.f["grad" + std::to_string(t)] = rng.normal(n, t == 3 ? 1e-3f : 1.0f);
  in.i["reset"] = rng.ints(n, 0, 1);
  return in;
}

// Three steps (the third with tiny gradients, where eps matters), then a reset of the rows the mask names.
std::string adam_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const long long n = c.i("count");
  const double wd = c.d("weight_decay");
  const int decoupled = static_cast<int>(c.i("decoupled"));
  Session s(ctx);
  float* p = s.inout("param", in.f.at("param"));
  float *m = s.inout("m", Vec(n, 0.0f)), *v = s.inout("v", Vec(n, 0.0f));
  for (int t = 1; t <= 3; ++t)
    s.op([&] {
      return vq4j_adam_step(ctx, p, s.in(in.f.at("grad" + std::to_string(t))), m, v, n, 1e-3, 0.9, 0.999, 1e-8,
          wd, t, decoupled);
    });
  s.op([&] { return vq4j_adam_reset_rows(ctx, m, v, s.in(in.i.at("reset")), static_cast<int>(n), 1); });
  return s.finish(out);
}

// ---------------------------------------------------------------- row ops

Inputs gated_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t rows = c.i("rows"), ch = c.i("c");
  in.f["x"] = rng.normal(rows * 2 * ch, 4.0f);
  in.f["x"][0] = 100.0f;  // saturated tanh and sigmoid must not produce NaN
  in.f["x"].back() = -100.0f;
  in.f["dy"] = rng.normal(rows * ch);
  return in;
}

std::string gated_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), ch = c.i("c");
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", static_cast<size_t>(rows) * ch), *dx = s.out("dx", static_cast<size_t>(rows) * 2 * ch);
  s.op([&] { return vq4j_gated_activation_fwd(ctx, x, y, rows, ch); });
  s.op([&] { return vq4j_gated_activation_bwd(ctx, x, dy, dx, rows, ch); });
  return s.finish(out);
}

Inputs xent_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k");
  in.f["logits"] = rng.normal(static_cast<size_t>(rows) * k, 3.0f);
  for (int j = 0; j < k; ++j) in.f["logits"][j] += 500.0f;  // a naive exp would overflow
  in.i["targets"] = rng.ints(rows, 0, k - 1);
  in.f["scale"] = {1.3f};
  return in;
}

std::string xent_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k");
  Session s(ctx);
  const float* logits = s.in(in.f.at("logits"));
  const int* targets = s.in(in.i.at("targets"));
  float *loss = s.out("loss", 1), *nll = s.out("nll", rows), *loss_alone = s.out("loss_without_nll", 1);
  float* dlogits = s.out("dlogits", static_cast<size_t>(rows) * k);
  s.op([&] { return vq4j_softmax_xent_fwd(ctx, logits, targets, loss, nll, rows, k); });
  s.op([&] { return vq4j_softmax_xent_fwd(ctx, logits, targets, loss_alone, nullptr, rows, k); });
  s.op([&] { return vq4j_softmax_xent_bwd(ctx, logits, targets, dlogits, in.f.at("scale")[0], rows, k); });
  return s.finish(out);
}

std::string xent_same_loss(const Case&, const Outputs& out) {
  return out.at("loss") == out.at("loss_without_nll") ? "" : "the loss differs when nll is not asked for";
}

Inputs embedding_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  in.f["table"] = rng.normal(static_cast<size_t>(k) * d);
  in.f["dy"] = rng.normal(static_cast<size_t>(rows) * d);
  // collapsed: every row picks the last code, the worst case of the per-code sums.
  in.i["ids"] = c.i("collapsed") ? IVec(rows, k - 1) : rng.ints(rows, 0, k - 1);
  return in;
}

std::string embedding_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  Session s(ctx);
  const float *table = s.in(in.f.at("table")), *dy = s.in(in.f.at("dy"));
  const int* ids = s.in(in.i.at("ids"));
  float *y = s.out("y", static_cast<size_t>(rows) * d), *dtable = s.out("dtable", static_cast<size_t>(k) * d);
  s.op([&] { return vq4j_embedding_fwd(ctx, table, ids, y, rows, d, k); });
  s.op([&] { return vq4j_embedding_bwd(ctx, ids, dy, dtable, rows, d, k); });
  return s.finish(out);
}

// ---------------------------------------------------------------- quantizer ops

Inputs quantize_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  in.f["z_e"] = rng.normal(static_cast<size_t>(rows) * d);
  // collapsed: every row's nearest code is the last (at the origin, the others 50 away), the worst case of
  // the per-code sums of the backward and the statistics.
  const bool collapsed = c.s("collapsed", "0") == "1";
  in.f["codebook"] = rng.normal(static_cast<size_t>(k) * d, collapsed ? 50.0f : 1.0f);
  if (collapsed) std::fill_n(in.f["codebook"].end() - d, d, 0.0f);
  in.f["dz_q"] = rng.normal(static_cast<size_t>(rows) * d);
  return in;
}

// The forward's codes feed the backward and the statistics, so an argmin that differs shows in all three.
std::string quantize_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  const size_t n = static_cast<size_t>(rows) * d;
  Session s(ctx);
  const float *z_e = s.in(in.f.at("z_e")), *codebook = s.in(in.f.at("codebook")), *dz_q = s.in(in.f.at("dz_q"));
  int* codes = s.iout("codes", rows);
  float *z_q = s.out("z_q", n), *loss = s.out("loss", 1), *dz_e = s.out("dz_e", n);
  float *dcodebook = s.out("dcodebook", static_cast<size_t>(k) * d), *dz_e_alone = s.out("dz_e_without_dcodebook", n);
  float *counts = s.out("counts", k), *perplexity = s.out("perplexity", 1);
  s.op([&] { return vq4j_vq_quantize_fwd(ctx, z_e, codebook, codes, z_q, rows, d, k); });
  s.op([&] { return vq4j_vq_loss(ctx, z_e, z_q, loss, rows, d); });
  s.op([&] {
    return vq4j_vq_quantize_bwd(ctx, z_e, z_q, codes, dz_q, dz_e, dcodebook, 0.25f, 0.7f, rows, d, k);
  });
  s.op([&] {
    return vq4j_vq_quantize_bwd(ctx, z_e, z_q, codes, dz_q, dz_e_alone, nullptr, 0.25f, 0.7f, rows, d, k);
  });
  s.op([&] { return vq4j_vq_code_sums(ctx, codes, nullptr, counts, nullptr, rows, d, k); });
  s.op([&] { return vq4j_vq_stats(ctx, counts, perplexity, k); });
  return s.finish(out);
}

// A collapsed case must collapse, or it tests nothing beyond the random ones.
std::string quantize_collapsed(const Case& c, const Outputs& out) {
  if (c.s("collapsed", "0") != "1") return "";
  for (float code : out.at("codes"))
    if (code != c.i("k") - 1) return "collapsed case: a row's code is " + std::to_string(code) + ", not k - 1";
  return "";
}

Inputs ema_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  in.f["z_e"] = rng.normal(static_cast<size_t>(rows) * d);
  // collapsed: every row of the first step on the last code.
  in.i["codes"] = c.s("collapsed", "0") == "1" ? IVec(rows, k - 1) : rng.ints(rows, 0, k - 1);
  in.f["z_e2"] = rng.normal(static_cast<size_t>(rows) * d);
  in.i["codes2"] = rng.ints(rows, 0, k - 1);
  in.f["ema_count"] = rng.uniform(k, 0.0f, 5.0f);
  in.f["ema_sum"] = rng.uniform(static_cast<size_t>(k) * d);
  return in;
}

std::string ema_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  Session s(ctx);
  float *count = s.inout("ema_count", in.f.at("ema_count")), *sum = s.inout("ema_sum", in.f.at("ema_sum"));
  float* codebook = s.out("codebook", static_cast<size_t>(k) * d);
  float *counts = s.out("counts", k), *sums = s.out("sums", static_cast<size_t>(k) * d);
  // Two steps, the second on the state the first left: the state persists on the device between steps.
  for (const char* step : {"", "2"}) {
    const float* z_e = s.in(in.f.at(std::string("z_e") + step));
    const int* codes = s.in(in.i.at(std::string("codes") + step));
    s.op([&] { return vq4j_vq_code_sums(ctx, codes, z_e, counts, sums, rows, d, k); });
    s.op([&] { return vq4j_vq_ema_update(ctx, counts, sums, count, sum, codebook, 0.99f, 1e-5f, d, k); });
  }
  return s.finish(out);
}

Inputs dead_codes_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  Vec counts(k), usage(k);
  for (int j = 0; j < k; ++j) {  // a third of the codes unused this step, a spread of usages around 1
    counts[j] = j % 3 == 0 ? 0.0f : static_cast<float>(j % 5);
    usage[j] = j % 4 == 0 ? 1.005f : 0.5f + static_cast<float>(j % 9) / 4;
  }
  in.f["counts"] = counts;
  in.f["usage"] = usage;
  in.f["z_e"] = rng.normal(static_cast<size_t>(rows) * d);
  in.f["codebook"] = rng.normal(static_cast<size_t>(k) * d);
  in.f["ema_count"] = rng.uniform(k, 0.0f, 5.0f);
  in.f["ema_sum"] = rng.normal(static_cast<size_t>(k) * d);
  return in;
}

// first_row/total_rows (default 0/rows): this caller's slice of a data-parallel global batch.
std::string dead_codes_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  const long long first_row = std::stoll(c.s("first_row", "0")), total_rows = std::stoll(c.s("total_rows", std::to_string(rows)));
  const bool ema = c.i("ema") != 0;
  Session s(ctx);
  float* usage = s.inout("usage", in.f.at("usage"));
  float* codebook = s.inout("codebook", in.f.at("codebook"));
  float* count = ema ? s.inout("ema_count", in.f.at("ema_count")) : nullptr;
  float* sum = ema ? s.inout("ema_sum", in.f.at("ema_sum")) : nullptr;
  float* candidates = s.out("candidates", static_cast<size_t>(k) * d);
  int* restarted = s.iout("restarted", k);
  float* dead = s.out("dead", 1);
  s.op([&] {
    return vq4j_vq_restart_candidates(ctx, s.in(in.f.at("z_e")), candidates, rows, first_row, total_rows, d, k,
                                      0x8000123456789ABCull);
  });
  s.op([&] { return vq4j_vq_dead_codes(ctx, s.in(in.f.at("counts")), usage, candidates, codebook, count, sum,
                            restarted, dead, d, k, 0.99, 1.0f, static_cast<int>(c.i("restart"))); });
  return s.finish(out);
}

// The inputs are drawn so that some codes stay live and some die: a case where all or none die tests less.
std::string some_dead(const Case& c, const Outputs& out) {
  const float dead = out.at("dead")[0];
  return dead > 0 && dead < c.i("k") ? "" : "dead = " + std::to_string(dead) + ": not some live, some dead";
}

// The rotation trick's gradient. Row 0 has z_e = 0 and row 1 z_q = 0 (both pass dz_q through); row 2 has
// z_q = -3 z_e (e = -q: r = 0); the rest are random. In place too, as the quantizer calls it.
Inputs rotate_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), d = c.i("d");
  Vec z_e = rng.normal(static_cast<size_t>(rows) * d), z_q = rng.normal(static_cast<size_t>(rows) * d);
  for (int i = 0; i < d; ++i) {
    if (rows > 0) z_e[i] = 0.0f;
    if (rows > 1) z_q[d + i] = 0.0f;
    if (rows > 2) z_q[2 * d + i] = -3.0f * z_e[2 * d + i];
  }
  in.f["z_e"] = z_e;
  in.f["z_q"] = z_q;
  in.f["dz_q"] = rng.normal(static_cast<size_t>(rows) * d);
  return in;
}

std::string rotate_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), d = c.i("d");
  Session s(ctx);
  const float *z_e = s.in(in.f.at("z_e")), *z_q = s.in(in.f.at("z_q")), *dz_q = s.in(in.f.at("dz_q"));
  float* dz_rot = s.out("dz_rot", static_cast<size_t>(rows) * d);
  float* in_place = s.inout("dz_rot_in_place", in.f.at("dz_q"));
  s.op([&] { return vq4j_vq_rotate_grad(ctx, z_e, z_q, dz_q, dz_rot, rows, d); });
  s.op([&] { return vq4j_vq_rotate_grad(ctx, z_e, z_q, in_place, in_place, rows, d); });
  const std::string error = s.finish(out);
  if (!error.empty()) return error;
  // For the invariant, which sees outputs only: dz_q, and per row lambda = |z_q| / |z_e| (0 where a norm is 0).
  (*out)["dz_q"] = in.f.at("dz_q");
  Vec lambda(rows);
  for (int r = 0; r < rows; ++r) {
    double e = 0, q = 0;
    for (int i = 0; i < d; ++i) {
      e += std::pow(in.f.at("z_e")[static_cast<size_t>(r) * d + i], 2);
      q += std::pow(in.f.at("z_q")[static_cast<size_t>(r) * d + i], 2);
    }
    lambda[r] = e > 0 && q > 0 ? static_cast<float>(std::sqrt(q / e)) : 0.0f;
  }
  (*out)["lambda"] = lambda;
  return "";
}

// In place equals out of place; the rows with z_e = 0 or z_q = 0 pass dz_q through; the rotation keeps
// norms, so each other row's |dz_rot| is lambda |dz_q| (to float rounding).
std::string rotate_properties(const Case& c, const Outputs& out) {
  const int rows = c.i("rows"), d = c.i("d");
  const Vec &g = out.at("dz_rot"), &dz_q = out.at("dz_q"), &lambda = out.at("lambda");
  if (g != out.at("dz_rot_in_place")) return "vq_rotate_grad in place differs from out of place";
  for (int r = 0; r < rows; ++r) {
    double got = 0, in = 0;
    bool same = true;
    for (int i = 0; i < d; ++i) {
      const size_t e = static_cast<size_t>(r) * d + i;
      got += static_cast<double>(g[e]) * g[e];
      in += static_cast<double>(dz_q[e]) * dz_q[e];
      same = same && g[e] == dz_q[e];
    }
    if (lambda[r] == 0 && !same) return "row " + std::to_string(r) + ": a zero z_e or z_q must pass dz_q through";
    const double want = lambda[r] * std::sqrt(in);
    if (lambda[r] != 0 && std::fabs(std::sqrt(got) - want) > 1e-4 * want + 1e-6)
      return "row " + std::to_string(r) + ": |dz_rot| = " + std::to_string(std::sqrt(got)) + ", not lambda |dz_q| = " +
             std::to_string(want);
  }
  return "";
}

// Finite scalar quantization with the case's levels (a comma list): codes, z_q and the straight-through
// backward, out of place and in place. z is drawn wide (scale 2) so that tanh saturates on some channels.
IVec levels_of(const Case& c) {
  IVec levels;
  std::string list = c.s("levels", "");
  for (size_t start = 0; start <= list.size();) {
    const size_t end = std::min(list.find(',', start), list.size());
    levels.push_back(std::stoi(list.substr(start, end - start)));
    start = end + 1;
  }
  return levels;
}

Inputs fsq_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = static_cast<size_t>(c.i("rows")) * levels_of(c).size();
  in.f["z"] = rng.normal(n, 2.0f);
  in.f["dz_q"] = rng.normal(n);
  return in;
}

std::string fsq_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const IVec levels = levels_of(c);  // host memory, as the C API takes them
  const int rows = c.i("rows"), d = static_cast<int>(levels.size());
  const size_t n = static_cast<size_t>(rows) * d;
  Session s(ctx);
  const float *z = s.in(in.f.at("z")), *dz_q = s.in(in.f.at("dz_q"));
  int* codes = s.iout("codes", rows);
  float *z_q = s.out("z_q", n), *dz = s.out("dz", n), *in_place = s.inout("dz_in_place", in.f.at("dz_q"));
  s.op([&] { return vq4j_fsq_fwd(ctx, z, levels.data(), codes, z_q, rows, d); });
  s.op([&] { return vq4j_fsq_bwd(ctx, z, levels.data(), dz_q, dz, rows, d); });
  s.op([&] { return vq4j_fsq_bwd(ctx, z, levels.data(), in_place, in_place, rows, d); });
  return s.finish(out);
}

// Each code is below the product of the levels and spells its row's digits: z_q[i] = (digit_i - L/2)/(L/2).
std::string fsq_codes_spell_z_q(const Case& c, const Outputs& out) {
  const IVec levels = levels_of(c);
  const int rows = c.i("rows"), d = static_cast<int>(levels.size());
  if (out.at("dz") != out.at("dz_in_place")) return "fsq_bwd in place differs from out of place";
  for (int r = 0; r < rows; ++r) {
    long long code = static_cast<long long>(out.at("codes")[r]);
    for (int i = 0; i < d; ++i) {
      const int half = levels[i] / 2;
      const float want = static_cast<float>(code % levels[i] - half) / static_cast<float>(half);
      if (out.at("z_q")[static_cast<size_t>(r) * d + i] != want)
        return "row " + std::to_string(r) + " channel " + std::to_string(i) + ": z_q does not match code";
      code /= levels[i];
    }
    if (code != 0) return "row " + std::to_string(r) + ": code past the product of the levels";
  }
  return "";
}

// Rows onto the unit sphere; with rows >= 14, row 0 is zero (y = 0, dx = dy / 1e-12 by the C API's rule)
// and the last row tiny: the finite differences sample x at 1/12, 3/12, ... 11/12 of its length, so they
// never land on either (a step of 1e-2 is not small against a norm of 1e-3).
Inputs l2_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), d = c.i("d");
  Vec x = rng.normal(static_cast<size_t>(rows) * d);
  for (int i = 0; rows >= 14 && i < d; ++i) {
    x[i] = 0.0f;
    x[static_cast<size_t>(rows - 1) * d + i] *= 1e-3f;
  }
  in.f["x"] = x;
  in.f["dy"] = rng.normal(static_cast<size_t>(rows) * d);
  return in;
}

std::string l2_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), d = c.i("d");
  const size_t n = static_cast<size_t>(rows) * d;
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", n), *dx = s.out("dx", n);
  float *y_in_place = s.inout("y_in_place", in.f.at("x")), *dx_in_place = s.inout("dx_in_place", in.f.at("dy"));
  s.op([&] { return vq4j_l2_normalize_fwd(ctx, x, y, rows, d); });
  s.op([&] { return vq4j_l2_normalize_bwd(ctx, x, dy, dx, rows, d); });
  s.op([&] { return vq4j_l2_normalize_fwd(ctx, y_in_place, y_in_place, rows, d); });
  s.op([&] { return vq4j_l2_normalize_bwd(ctx, x, dx_in_place, dx_in_place, rows, d); });
  return s.finish(out);
}

// In place equals out of place, and every non-zero row has unit norm.
std::string l2_unit_rows(const Case& c, const Outputs& out) {
  const int rows = c.i("rows"), d = c.i("d");
  if (out.at("y") != out.at("y_in_place")) return "l2_normalize_fwd in place differs from out of place";
  if (out.at("dx") != out.at("dx_in_place")) return "l2_normalize_bwd in place differs from out of place";
  for (int r = 0; r < rows; ++r) {
    double sq = 0;
    for (int i = 0; i < d; ++i) sq += static_cast<double>(out.at("y")[static_cast<size_t>(r) * d + i]) *
                                     out.at("y")[static_cast<size_t>(r) * d + i];
    if (sq != 0 && std::fabs(sq - 1) > 1e-5) return "row " + std::to_string(r) + ": |y|^2 = " + std::to_string(sq);
  }
  return "";
}

// ---------------------------------------------------------------- the Transformer prior's ops

constexpr float kLayerNormEps = 1e-5f;

// The first row is offset by 10 (the mean must be subtracted before the variance is summed); constant_row=1
// makes the last row constant (variance 0: rstd is 1/sqrt(eps), y is beta). Cases with a constant row have
// rows >= 13, so that no finite-difference sample (at 1/12, 3/12, ... 11/12 of x) falls on it: its
// gradient is 1/sqrt(eps) large and a step of 1e-2 leaves the linear regime.
Inputs layer_norm_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), ch = c.i("c");
  in.f["x"] = rng.normal(static_cast<size_t>(rows) * ch);
  for (int i = 0; i < ch; ++i) in.f["x"][i] += 10.0f;
  if (c.s("constant_row", "0") == "1")
    for (int i = 0; i < ch; ++i) in.f["x"][static_cast<size_t>(rows - 1) * ch + i] = 0.75f;  // exact sums
  in.f["gamma"] = rng.uniform(ch, 0.5f, 1.5f);
  in.f["beta"] = rng.uniform(ch);
  in.f["dy"] = rng.normal(static_cast<size_t>(rows) * ch);
  return in;
}

// The backward takes the backend's own mean and rstd, as the prior does.
std::string layer_norm_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), ch = c.i("c");
  const size_t n = static_cast<size_t>(rows) * ch;
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *gamma = s.in(in.f.at("gamma")), *beta = s.in(in.f.at("beta"));
  const float* dy = s.in(in.f.at("dy"));
  float *y = s.out("y", n), *mean = s.out("mean", rows), *rstd = s.out("rstd", rows);
  float *dx = s.out("dx", n), *dgamma = s.out("dgamma", ch), *dbeta = s.out("dbeta", ch);
  s.op([&] { return vq4j_layer_norm_fwd(ctx, x, gamma, beta, y, mean, rstd, rows, ch, kLayerNormEps); });
  s.op([&] { return vq4j_layer_norm_bwd(ctx, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, ch); });
  return s.finish(out);
}

// y is invariant to adding a constant to a row, so each row of dx sums to 0 (to float rounding).
std::string layer_norm_dx_rows_sum_to_zero(const Case& c, const Outputs& out) {
  const int rows = c.i("rows"), ch = c.i("c");
  const Vec& dx = out.at("dx");
  for (int r = 0; r < rows; ++r) {
    double sum = 0, size = 0;
    for (int i = 0; i < ch; ++i) {
      sum += dx[static_cast<size_t>(r) * ch + i];
      size += std::fabs(dx[static_cast<size_t>(r) * ch + i]);
    }
    if (std::fabs(sum) > 1e-5 * size + 1e-6)
      return "row " + std::to_string(r) + " of dx sums to " + std::to_string(sum) + ", not 0";
  }
  return "";
}

// Attention shapes: q is drawn for all tk positions (the full forward and the backward use it); the cached
// forward takes its last tq rows, as the sampler does with a kv cache of kv rows of which tk are filled.
struct Attn {
  int batch, tq, tk, kv, heads, dh;
  size_t c() const { return static_cast<size_t>(heads) * dh; }
};

Attn attn_of(const Case& c) {
  const int tk = c.i("tk");
  return {(int)c.i("batch"), (int)std::stoll(c.s("tq", std::to_string(tk))), tk,
          (int)std::stoll(c.s("kv", std::to_string(tk))), (int)c.i("heads"), (int)c.i("dh")};
}

// The kv cache's rows past tk are NaN: an op that reads one poisons its output. amp scales q, so that
// amp=30 gives softmaxes of one dominant key (the online softmax's rescaling at its extreme).
Inputs attention_inputs(const Case& c, uint64_t seed) {
  const Attn a = attn_of(c);
  Rng rng(seed);
  Inputs in;
  in.f["q"] = rng.normal(static_cast<size_t>(a.batch) * a.tk * a.c(), std::stof(c.s("amp", "1")));
  for (const char* name : {"k", "v"}) {
    Vec t = rng.normal(static_cast<size_t>(a.batch) * a.kv * a.c());
    for (int b = 0; b < a.batch; ++b)
      for (size_t e = static_cast<size_t>(a.tk) * a.c(); e < static_cast<size_t>(a.kv) * a.c(); ++e)
        t[static_cast<size_t>(b) * a.kv * a.c() + e] = kNaN;
    in.f[name] = t;
  }
  in.f["dy"] = rng.normal(static_cast<size_t>(a.batch) * a.tk * a.c());
  return in;
}

// Rows [from, from + count) of each batch of t[batch, rows, c].
Vec rows_of(const Vec& t, int batch, int rows, size_t c, int from, int count) {
  Vec r;
  for (int b = 0; b < batch; ++b) {
    const auto start = t.begin() + (static_cast<size_t>(b) * rows + from) * c;
    r.insert(r.end(), start, start + static_cast<size_t>(count) * c);
  }
  return r;
}

// The full forward (every position, tq = tk), the cached one (the last tq queries over a kv cache), the
// prefix one (the first half of the positions over the same cache), and the backward of the full one on
// the filled rows of the cache.
std::string attention_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const Attn a = attn_of(c);
  const int half = (a.tk + 1) / 2;
  const size_t c_ = a.c();
  Session s(ctx);
  const float *q = s.in(in.f.at("q")), *k = s.in(in.f.at("k")), *v = s.in(in.f.at("v"));
  const float* q_last = s.in(rows_of(in.f.at("q"), a.batch, a.tk, c_, a.tk - a.tq, a.tq));
  const float* q_first = s.in(rows_of(in.f.at("q"), a.batch, a.tk, c_, 0, half));
  const float* k_filled = s.in(rows_of(in.f.at("k"), a.batch, a.kv, c_, 0, a.tk));
  const float* v_filled = s.in(rows_of(in.f.at("v"), a.batch, a.kv, c_, 0, a.tk));
  const float* dy = s.in(in.f.at("dy"));
  const size_t full = static_cast<size_t>(a.batch) * a.tk * c_;
  float *y = s.out("y", full), *lse = s.out("lse", static_cast<size_t>(a.batch) * a.heads * a.tk);
  float* y_cached = s.out("y_cached", static_cast<size_t>(a.batch) * a.tq * c_);
  float* lse_cached = s.out("lse_cached", static_cast<size_t>(a.batch) * a.heads * a.tq);
  float* y_prefix = s.out("y_prefix", static_cast<size_t>(a.batch) * half * c_);
  float* lse_prefix = s.out("lse_prefix", static_cast<size_t>(a.batch) * a.heads * half);
  float *dq = s.out("dq", full), *dk = s.out("dk", full), *dv = s.out("dv", full);
  s.op([&] { return vq4j_causal_attention_fwd(ctx, q, k, v, y, lse, a.batch, a.tk, a.tk, a.kv, a.heads, a.dh); });
  s.op([&] {
    return vq4j_causal_attention_fwd(ctx, q_last, k, v, y_cached, lse_cached, a.batch, a.tq, a.tk, a.kv, a.heads,
                                     a.dh);
  });
  s.op([&] {
    return vq4j_causal_attention_fwd(ctx, q_first, k, v, y_prefix, lse_prefix, a.batch, half, half, a.kv, a.heads,
                                     a.dh);
  });
  s.op([&] {
    return vq4j_causal_attention_bwd(ctx, q, k_filled, v_filled, y, lse, dy, dq, dk, dv, a.batch, a.tk, a.heads,
                                     a.dh);
  });
  const std::string error = s.finish(out);
  if (!error.empty()) return error;
  // dk, dv in the cache's layout [batch, kv, C] (0 past tk), element for element with the inputs k, v that
  // the finite differences move.
  for (const char* name : {"dk", "dv"}) {
    Vec cache(static_cast<size_t>(a.batch) * a.kv * c_, 0.0f);
    const Vec& filled = out->at(name);
    for (int b = 0; b < a.batch; ++b)
      std::copy_n(filled.begin() + static_cast<size_t>(b) * a.tk * c_, static_cast<size_t>(a.tk) * c_,
                  cache.begin() + static_cast<size_t>(b) * a.kv * c_);
    (*out)[name] = cache;
  }
  (*out)["v_row0"] = rows_of(in.f.at("v"), a.batch, a.kv, c_, 0, 1);  // for the invariant, which sees outputs only
  return "";
}

// Bit for bit: a query's output does not depend on the queries run with it (cached = the full forward's last
// rows), nor on keys after its position (prefix = the full forward's first rows); the first position sees
// only key 0 (its weight is exactly 1, its output v_0).
std::string attention_consistent(const Case& c, const Outputs& out) {
  const Attn a = attn_of(c);
  const int half = (a.tk + 1) / 2;
  const Vec& y = out.at("y");
  if (rows_of(y, a.batch, a.tk, a.c(), a.tk - a.tq, a.tq) != out.at("y_cached"))
    return "the cached forward's y differs from the full forward's last tq rows";
  if (rows_of(y, a.batch, a.tk, a.c(), 0, half) != out.at("y_prefix"))
    return "the first half's forward differs from the full forward's first rows: a later key is read";
  for (int b = 0; b < a.batch; ++b)
    for (size_t d = 0; d < a.c(); ++d)
      if (y[static_cast<size_t>(b) * a.tk * a.c() + d] != out.at("v_row0")[static_cast<size_t>(b) * a.c() + d])
        return "batch " + std::to_string(b) + ": the first position's output is not v_0";
  return "";
}

Inputs gelu_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = c.i("count");
  in.f["x"] = rng.normal(n, 3.0f);
  in.f["x"][0] = 0.0f;
  if (n > 2) {  // saturated tanh: y = x and y = -0, not NaN
    in.f["x"][1] = 100.0f;
    in.f["x"][2] = -100.0f;
  }
  in.f["dy"] = rng.normal(n);
  return in;
}

std::string gelu_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const long long n = c.i("count");
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", n), *dx = s.out("dx", n), *in_place = s.inout("y_in_place", in.f.at("x"));
  s.op([&] { return vq4j_gelu_fwd(ctx, x, y, n); });
  s.op([&] { return vq4j_gelu_bwd(ctx, x, dy, dx, n); });
  s.op([&] { return vq4j_gelu_fwd(ctx, in_place, in_place, n); });
  return s.finish(out);
}

std::string gelu_in_place_same(const Case&, const Outputs& out) {
  return out.at("y") == out.at("y_in_place") ? "" : "gelu_fwd in place differs from gelu_fwd";
}

Inputs linear_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t rows = c.i("rows"), n_in = c.i("in"), n_out = c.i("out");
  in.f["x"] = rng.uniform(rows * n_in);
  in.f["w"] = rng.uniform(n_out * n_in);
  in.f["b"] = rng.uniform(n_out);
  in.f["dy"] = rng.uniform(rows * n_out);
  return in;
}

// Each op with and without its optional bias (b, db NULL).
std::string linear_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), n_in = c.i("in"), n_out = c.i("out");
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *w = s.in(in.f.at("w")), *b = s.in(in.f.at("b")), *dy = s.in(in.f.at("dy"));
  const size_t ny = static_cast<size_t>(rows) * n_out, nw = static_cast<size_t>(n_out) * n_in;
  float *y = s.out("y", ny), *y_unbiased = s.out("y_without_bias", ny);
  float *dx = s.out("dx", static_cast<size_t>(rows) * n_in), *dw = s.out("dw", nw), *db = s.out("db", n_out);
  float* dw_alone = s.out("dw_without_db", nw);
  s.op([&] { return vq4j_linear_fwd(ctx, x, w, b, y, rows, n_in, n_out); });
  s.op([&] { return vq4j_linear_fwd(ctx, x, w, nullptr, y_unbiased, rows, n_in, n_out); });
  s.op([&] { return vq4j_linear_bwd_data(ctx, dy, w, dx, rows, n_in, n_out); });
  s.op([&] { return vq4j_linear_bwd_weight(ctx, x, dy, dw, db, rows, n_in, n_out); });
  s.op([&] { return vq4j_linear_bwd_weight(ctx, x, dy, dw_alone, nullptr, rows, n_in, n_out); });
  return s.finish(out);
}

std::string linear_same_dw(const Case&, const Outputs& out) {
  return out.at("dw") == out.at("dw_without_db") ? "" : "dw differs when db is not asked for";
}

Inputs dropout_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const size_t n = c.i("count");
  in.f["x"] = rng.uniform(n, 0.5f, 1.5f);  // no zeros: a 0 in y is a dropped element
  in.f["dy"] = rng.normal(n);
  return in;
}

// y and its backward dx (the same call on dy, same key), out of place and in place.
std::string dropout_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const long long n = c.i("count");
  const float p = static_cast<float>(c.d("p"));
  const unsigned long long key = std::stoull(c.s("key", "1"));
  Session s(ctx);
  const float *x = s.in(in.f.at("x")), *dy = s.in(in.f.at("dy"));
  float *y = s.out("y", n), *dx = s.out("dx", n), *in_place = s.inout("y_in_place", in.f.at("x"));
  s.op([&] { return vq4j_dropout(ctx, x, y, n, p, key); });
  s.op([&] { return vq4j_dropout(ctx, dy, dx, n, p, key); });
  s.op([&] { return vq4j_dropout(ctx, in_place, in_place, n, p, key); });
  return s.finish(out);
}

// In place equals out of place; dx drops where y drops; the kept fraction is 1 - p within 5 standard
// deviations of a binomial.
std::string dropout_mask(const Case& c, const Outputs& out) {
  const Vec &y = out.at("y"), &dx = out.at("dx");
  if (y != out.at("y_in_place")) return "dropout in place differs from out of place";
  const double p = c.d("p");
  size_t kept = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if ((y[i] == 0.0f) != (dx[i] == 0.0f)) return "element " + std::to_string(i) + ": dx and y drop differently";
    kept += y[i] != 0.0f;
  }
  const double n = static_cast<double>(y.size()), sd = std::sqrt(n * p * (1 - p));
  if (std::fabs(kept - n * (1 - p)) > 5 * sd + 0.5)
    return std::to_string(kept) + " of " + std::to_string(y.size()) + " kept at p = " + std::to_string(p);
  return "";
}

}  // namespace

const std::map<std::string, Family>& families() {
  static const std::map<std::string, Family> all = {
      {"conv2d", {conv_inputs<Conv::kPlain>, conv_run<Conv::kPlain>, kConvGrads, {"y"}}},
      {"conv_transpose2d", {conv_inputs<Conv::kTransposed>, conv_run<Conv::kTransposed>, kConvGrads, {"dx"}}},
      {"masked_conv2d", {conv_inputs<Conv::kMasked>, conv_run<Conv::kMasked>, kConvGrads, {"y"}, masked_zero}},
      {"elementwise", {elementwise_inputs, elementwise_run, {{"x", "y", "dy", "dx"}}, {}}},
      {"mse", {mse_inputs, mse_run, {{"pred", "loss", "scale", "dpred"}}, {}}},
      {"adam", {adam_inputs, adam_run, {}, {}}},
      {"gated_activation", {gated_inputs, gated_run, {{"x", "y", "dy", "dx"}}, {}}},
      {"softmax_xent", {xent_inputs, xent_run, {{"logits", "loss", "scale", "dlogits"}}, {}, xent_same_loss}},
      {"embedding", {embedding_inputs, embedding_run, {{"table", "y", "dy", "dtable"}}, {}}},
      {"vq_quantize", {quantize_inputs, quantize_run, {}, {}, quantize_collapsed}},
      {"vq_ema_update", {ema_inputs, ema_run, {}, {}}},
      {"vq_dead_codes", {dead_codes_inputs, dead_codes_run, {}, {}, some_dead}},
      {"vq_rotate_grad", {rotate_inputs, rotate_run, {}, {}, rotate_properties}},
      {"fsq", {fsq_inputs, fsq_run, {}, {}, fsq_codes_spell_z_q}},
      {"l2_normalize", {l2_inputs, l2_run, {{"x", "y", "dy", "dx"}}, {}, l2_unit_rows}},
      {"layer_norm",
       {layer_norm_inputs, layer_norm_run, {{"x", "y", "dy", "dx"}, {"gamma", "y", "dy", "dgamma"}, {"beta", "y", "dy", "dbeta"}},
        {}, layer_norm_dx_rows_sum_to_zero}},
      {"causal_attention",
       {attention_inputs, attention_run, {{"q", "y", "dy", "dq"}, {"k", "y", "dy", "dk"}, {"v", "y", "dy", "dv"}},
        {}, attention_consistent}},
      {"gelu", {gelu_inputs, gelu_run, {{"x", "y", "dy", "dx"}}, {}, gelu_in_place_same}},
      {"linear",
       {linear_inputs, linear_run, {{"x", "y", "dy", "dx"}, {"w", "y", "dy", "dw"}, {"b", "y", "dy", "db"}},
        {"y", "y_without_bias"}, linear_same_dw}},
      {"dropout", {dropout_inputs, dropout_run, {{"x", "y", "dy", "dx"}}, {}, dropout_mask}},
  };
  return all;
}

}  // namespace harness
