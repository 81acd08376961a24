// Each family runs its ops through the C API only, so the same code drives every backend.
#include "op_families.h"

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
  in.f["codebook"] = rng.normal(static_cast<size_t>(k) * d);
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
  s.op([&] { return vq4j_vq_stats(ctx, codes, counts, perplexity, rows, k); });
  return s.finish(out);
}

Inputs ema_inputs(const Case& c, uint64_t seed) {
  Rng rng(seed);
  Inputs in;
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  in.f["z_e"] = rng.normal(static_cast<size_t>(rows) * d);
  in.i["codes"] = rng.ints(rows, 0, k - 1);
  in.f["ema_count"] = rng.uniform(k, 0.0f, 5.0f);
  in.f["ema_sum"] = rng.uniform(static_cast<size_t>(k) * d);
  return in;
}

std::string ema_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  Session s(ctx);
  const float* z_e = s.in(in.f.at("z_e"));
  const int* codes = s.in(in.i.at("codes"));
  float *count = s.inout("ema_count", in.f.at("ema_count")), *sum = s.inout("ema_sum", in.f.at("ema_sum"));
  float* codebook = s.out("codebook", static_cast<size_t>(k) * d);
  s.op([&] { return vq4j_vq_ema_update(ctx, z_e, codes, count, sum, codebook, 0.99f, 1e-5f, rows, d, k); });
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

std::string dead_codes_run(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out) {
  const int rows = c.i("rows"), k = c.i("k"), d = c.i("d");
  const bool ema = c.i("ema") != 0;
  Session s(ctx);
  float* usage = s.inout("usage", in.f.at("usage"));
  float* codebook = s.inout("codebook", in.f.at("codebook"));
  float* count = ema ? s.inout("ema_count", in.f.at("ema_count")) : nullptr;
  float* sum = ema ? s.inout("ema_sum", in.f.at("ema_sum")) : nullptr;
  int* restarted = s.iout("restarted", k);
  float* dead = s.out("dead", 1);
  s.op([&] { return vq4j_vq_dead_codes(ctx, s.in(in.f.at("counts")), usage, s.in(in.f.at("z_e")), codebook, count, sum,
                            restarted, dead, rows, d, k, 0.99, 1.0f, static_cast<int>(c.i("restart")),
                            0x8000123456789ABCull); });
  return s.finish(out);
}

// The inputs are drawn so that some codes stay live and some die: a case where all or none die tests less.
std::string some_dead(const Case& c, const Outputs& out) {
  const float dead = out.at("dead")[0];
  return dead > 0 && dead < c.i("k") ? "" : "dead = " + std::to_string(dead) + ": not some live, some dead";
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
      {"vq_quantize", {quantize_inputs, quantize_run, {}, {}}},
      {"vq_ema_update", {ema_inputs, ema_run, {}, {}}},
      {"vq_dead_codes", {dead_codes_inputs, dead_codes_run, {}, {}, some_dead}},
  };
  return all;
}

}  // namespace harness
