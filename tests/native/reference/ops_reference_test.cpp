// The CPU reference of the ops other than the convolutions (and the softmax cross-entropy's hand-written fast
// path, which has no oneDNN counterpart to trust), itself checked: each kernel against a naive
// double-precision loop written here, on random inputs and awkward shapes (one row, sizes that are no
// multiple of a vector width, exact ties), plus the argument errors on out-of-range ids. Prints "N passed,
// M failed"; exits non-zero on any failure.
#include <omp.h>

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
#include "vq_code_sums/vq_code_sums.h"
#include "vq_ema_update/vq_ema_update.h"
#include "vq_quantize/vq_quantize.h"

namespace {

int passed = 0;
int failed = 0;
std::mt19937 rng(1234);

void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

// The largest violation of |got - want| <= atol + rtol |want| as a ratio (<= 1 passes); NaN fails.
double worst(const float* got, const std::vector<double>& want, double rtol, double atol) {
  double w = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]) / (atol + rtol * std::fabs(want[i]));
    if (!(err <= w)) w = err;  // also catches NaN
  }
  return w;
}

void check_close(const float* got, const std::vector<double>& want, double rtol, double atol,
                 const std::string& what) {
  const double w = worst(got, want, rtol, atol);
  check(w <= 1.0, what + " (worst error / tolerance = " + std::to_string(w) + ")");
}

std::vector<float> uniform(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

std::vector<int> random_ints(size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> u(lo, hi);
  std::vector<int> v(n);
  for (int& x : v) x = u(rng);
  return v;
}

std::string shape(const char* name, int a, int b, int c = -1) {
  std::string s = std::string(name) + " [" + std::to_string(a) + ", " + std::to_string(b);
  if (c >= 0) s += ", " + std::to_string(c);
  return s + "]";
}

// An op that must reject a bad id with VQ4J_ERR_ARGUMENT and say which entry was wrong.
template <class Op>
void check_rejects(vq4j_ctx* ctx, Op op, const char* needle, const std::string& what) {
  ctx->error[0] = '\0';
  const int status = op();
  check(status == VQ4J_ERR_ARGUMENT && std::strstr(ctx->error, needle) != nullptr,
        what + ": status " + std::to_string(status) + ", error '" + ctx->error + "'");
}

double sq_dist(const float* a, const float* b, int d) {
  double s = 0.0;
  for (int c = 0; c < d; ++c) {
    const double diff = static_cast<double>(a[c]) - b[c];
    s += diff * diff;
  }
  return s;
}

void test_elementwise(vq4j_ctx* ctx) {
  for (long long n : {1LL, 1001LL, 100003LL}) {
    const std::vector<float> x = uniform(n, -1, 1), dy = uniform(n, -1, 1);
    std::vector<float> y(n), dx(n);
    std::vector<double> want_y(n), want_dx(n), want_sum(n);
    for (long long i = 0; i < n; ++i) {
      want_y[i] = x[i] > 0 ? x[i] : 0.0;
      want_dx[i] = want_y[i] > 0 ? dy[i] : 0.0;
      want_sum[i] = static_cast<double>(x[i]) + dy[i];
    }
    const std::string size = " count " + std::to_string(n);
    check(vq4j::relu_fwd_cpu(ctx, x.data(), y.data(), n) == VQ4J_OK, "relu_fwd status" + size);
    check_close(y.data(), want_y, 0, 1e-30, "relu_fwd" + size);
    check(vq4j::relu_bwd_cpu(ctx, y.data(), dy.data(), dx.data(), n) == VQ4J_OK, "relu_bwd status" + size);
    check_close(dx.data(), want_dx, 0, 1e-30, "relu_bwd" + size);
    check(vq4j::add_cpu(ctx, x.data(), dy.data(), y.data(), n) == VQ4J_OK, "add status" + size);
    check_close(y.data(), want_sum, 1e-7, 1e-30, "add" + size);
    std::vector<float> inplace = x;  // y aliasing the input
    vq4j::relu_fwd_cpu(ctx, inplace.data(), inplace.data(), n);
    check_close(inplace.data(), want_y, 0, 1e-30, "relu_fwd in place" + size);
  }
}

// The reference argmin in double, ties to the lowest index.
std::vector<int> nearest(const std::vector<float>& z, const std::vector<float>& e, int rows, int d, int k,
                         std::vector<double>* best_dist) {
  std::vector<int> codes(rows);
  best_dist->assign(rows, 0.0);
  for (int r = 0; r < rows; ++r) {
    double best = INFINITY;
    for (int j = 0; j < k; ++j) {
      const double dist = sq_dist(&z[static_cast<size_t>(r) * d], &e[static_cast<size_t>(j) * d], d);
      if (dist < best) {
        best = dist;
        codes[r] = j;
      }
    }
    (*best_dist)[r] = best;
  }
  return codes;
}

void test_quantize_fwd(vq4j_ctx* ctx) {
  struct Shape { int rows, d, k; };
  // 9000 x 512 distances exceed the 16 MB block, so the row blocking is exercised too.
  for (Shape s :
       {Shape{1, 3, 5}, Shape{37, 13, 11}, Shape{1, 64, 1}, Shape{300, 64, 512}, Shape{9000, 9, 512}}) {
    const std::string name = shape("vq_quantize_fwd", s.rows, s.d, s.k);
    const std::vector<float> z = uniform(static_cast<size_t>(s.rows) * s.d, -1, 1);
    const std::vector<float> e = uniform(static_cast<size_t>(s.k) * s.d, -1, 1);
    std::vector<int> codes(s.rows, -1);
    std::vector<float> zq(static_cast<size_t>(s.rows) * s.d);
    check(vq4j::vq_quantize_fwd_cpu(ctx, z.data(), e.data(), codes.data(), zq.data(), s.rows, s.d, s.k) ==
              VQ4J_OK, name + " status");
    std::vector<double> best;
    nearest(z, e, s.rows, s.d, s.k, &best);
    // Float distances may swap near-ties, so the chosen code need only be as near as the best one.
    bool ok = true;
    for (int r = 0; r < s.rows && ok; ++r) {
      const int j = codes[r];
      ok = j >= 0 && j < s.k &&
           sq_dist(&z[static_cast<size_t>(r) * s.d], &e[static_cast<size_t>(j) * s.d], s.d) <=
               best[r] + 1e-5 * (1.0 + best[r]) &&
           std::memcmp(&zq[static_cast<size_t>(r) * s.d], &e[static_cast<size_t>(j) * s.d],
                       sizeof(float) * s.d) == 0;
    }
    check(ok, name + " nearest code and gather");
  }
  // Small integers make every distance exact, and duplicated codes make exact ties: the lowest index wins.
  for (Shape s : {Shape{1, 3, 6}, Shape{200, 5, 23}, Shape{64, 16, 40}}) {
    const std::string name = shape("vq_quantize_fwd ties", s.rows, s.d, s.k);
    std::vector<float> e(static_cast<size_t>(s.k) * s.d), z(static_cast<size_t>(s.rows) * s.d);
    const std::vector<int> ei = random_ints(e.size(), -2, 2), zi = random_ints(z.size(), -2, 2);
    for (size_t i = 0; i < e.size(); ++i) e[i] = static_cast<float>(ei[i]);
    for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(zi[i]);
    for (int j = s.k / 2; j < s.k; ++j)  // the upper half repeats the lower half
      std::memcpy(&e[static_cast<size_t>(j) * s.d], &e[static_cast<size_t>(j - s.k / 2) * s.d],
                  sizeof(float) * s.d);
    std::vector<int> codes(s.rows, -1);
    std::vector<float> zq(z.size());
    vq4j::vq_quantize_fwd_cpu(ctx, z.data(), e.data(), codes.data(), zq.data(), s.rows, s.d, s.k);
    std::vector<double> best;
    check(codes == nearest(z, e, s.rows, s.d, s.k, &best), name + " lowest index");
  }
}

void test_quantize_rest(vq4j_ctx* ctx) {
  struct Shape { int rows, d, k; };
  for (Shape s : {Shape{1, 3, 4}, Shape{37, 13, 11}, Shape{2000, 64, 100}}) {
    const size_t n = static_cast<size_t>(s.rows) * s.d;
    const std::vector<float> ze = uniform(n, -1, 1), dzq = uniform(n, -1, 1);
    const std::vector<float> e = uniform(static_cast<size_t>(s.k) * s.d, -1, 1);
    const std::vector<int> codes = random_ints(s.rows, 0, s.k - 1);
    std::vector<float> zq(n);
    for (int r = 0; r < s.rows; ++r)
      std::memcpy(&zq[static_cast<size_t>(r) * s.d], &e[static_cast<size_t>(codes[r]) * s.d],
                  sizeof(float) * s.d);

    float loss = -1;
    vq4j::vq_loss_cpu(ctx, ze.data(), zq.data(), &loss, s.rows, s.d);
    double want_loss = 0;
    for (size_t i = 0; i < n; ++i) want_loss += (static_cast<double>(ze[i]) - zq[i]) * (ze[i] - zq[i]);
    check_close(&loss, {want_loss / n}, 1e-6, 0, shape("vq_loss", s.rows, s.d));

    const float beta = 0.25f, weight = 0.7f;
    std::vector<float> dze(n), dcb(static_cast<size_t>(s.k) * s.d, 123.0f);
    std::vector<double> want_dze(n), want_dcb(dcb.size(), 0.0);
    for (int r = 0; r < s.rows; ++r)
      for (int c = 0; c < s.d; ++c) {
        const size_t i = static_cast<size_t>(r) * s.d + c;
        want_dze[i] = dzq[i] + beta * 2.0 * (static_cast<double>(ze[i]) - zq[i]) / n;
        want_dcb[static_cast<size_t>(codes[r]) * s.d + c] +=
            weight * 2.0 * (static_cast<double>(zq[i]) - ze[i]) / n;
      }
    const std::string name = shape("vq_quantize_bwd", s.rows, s.d, s.k);
    check(vq4j::vq_quantize_bwd_cpu(ctx, ze.data(), zq.data(), codes.data(), dzq.data(), dze.data(),
                                    dcb.data(), beta, weight, s.rows, s.d, s.k) == VQ4J_OK,
          name + " status");
    check_close(dze.data(), want_dze, 1e-5, 1e-9, name + " dz_e");
    check_close(dcb.data(), want_dcb, 1e-4, 1e-9, name + " dcodebook");
    std::fill(dze.begin(), dze.end(), 0.0f);
    vq4j::vq_quantize_bwd_cpu(ctx, ze.data(), zq.data(), codes.data(), dzq.data(), dze.data(), nullptr, beta,
                              weight, s.rows, s.d, s.k);
    check_close(dze.data(), want_dze, 1e-5, 1e-9, name + " dz_e without dcodebook");

    std::vector<float> counts(s.k, -1);
    float perplexity = -1;
    vq4j::vq_code_sums_cpu(ctx, codes.data(), nullptr, counts.data(), nullptr, s.rows, s.d, s.k);
    vq4j::vq_stats_cpu(ctx, counts.data(), &perplexity, s.k);
    std::vector<double> want_counts(s.k, 0.0);
    for (int r = 0; r < s.rows; ++r) want_counts[codes[r]] += 1;
    double entropy = 0;
    for (double c : want_counts)
      if (c > 0) entropy -= c / s.rows * std::log(c / s.rows);
    check_close(counts.data(), want_counts, 0, 1e-30, shape("vq_code_sums counts", s.rows, s.k));
    check_close(&perplexity, {std::exp(entropy)}, 1e-6, 0, shape("vq_stats perplexity", s.rows, s.k));

    std::vector<int> bad = codes;
    bad[s.rows - 1] = s.k;
    const auto bwd = [&] {
      return vq4j::vq_quantize_bwd_cpu(ctx, ze.data(), zq.data(), bad.data(), dzq.data(), dze.data(),
                                       dcb.data(), beta, weight, s.rows, s.d, s.k);
    };
    check_rejects(ctx, bwd, "codes[", name + " rejects code k");
    bad[s.rows - 1] = -1;
    const auto sums = [&] {
      return vq4j::vq_code_sums_cpu(ctx, bad.data(), nullptr, counts.data(), nullptr, s.rows, s.d, s.k);
    };
    check_rejects(ctx, sums, "codes[", shape("vq_code_sums", s.rows, s.k) + " rejects code -1");
  }
  // One code used by every row: perplexity 1.
  const std::vector<int> same(50, 3);
  std::vector<float> counts(7);
  float perplexity = 0;
  vq4j::vq_code_sums_cpu(ctx, same.data(), nullptr, counts.data(), nullptr, 50, 1, 7);
  vq4j::vq_stats_cpu(ctx, counts.data(), &perplexity, 7);
  check(perplexity == 1.0f && counts[3] == 50.0f && counts[0] == 0.0f, "vq_stats single code");
  // Counts that no row gave (a rank's all-reduced zeros): perplexity 1, not a division by zero.
  std::fill(counts.begin(), counts.end(), 0.0f);
  vq4j::vq_stats_cpu(ctx, counts.data(), &perplexity, 7);
  check(perplexity == 1.0f, "vq_stats of all-zero counts");
}

void test_ema(vq4j_ctx* ctx) {
  struct Shape { int rows, d, k; };
  for (Shape s : {Shape{1, 3, 4}, Shape{37, 13, 11}, Shape{3000, 64, 512}}) {
    const std::string name = shape("vq_ema_update", s.rows, s.d, s.k);
    const size_t kd = static_cast<size_t>(s.k) * s.d;
    const std::vector<float> ze = uniform(static_cast<size_t>(s.rows) * s.d, -1, 1);
    const std::vector<int> codes = random_ints(s.rows, 0, s.k - 1);
    std::vector<float> count = uniform(s.k, 0, 5), sum = uniform(kd, -1, 1), cb(kd, 0.0f);
    const float gamma = 0.99f, eps = 1e-5f;
    std::vector<double> want_count(s.k), want_sum(kd), want_cb(kd);
    for (int j = 0; j < s.k; ++j) {
      double n = 0;
      std::vector<double> rows_sum(s.d, 0.0);
      for (int r = 0; r < s.rows; ++r)
        if (codes[r] == j) {
          n += 1;
          for (int c = 0; c < s.d; ++c) rows_sum[c] += ze[static_cast<size_t>(r) * s.d + c];
        }
      want_count[j] = static_cast<double>(gamma) * count[j] + (1.0 - gamma) * n;
      for (int c = 0; c < s.d; ++c)
        want_sum[static_cast<size_t>(j) * s.d + c] =
            static_cast<double>(gamma) * sum[static_cast<size_t>(j) * s.d + c] + (1.0 - gamma) * rows_sum[c];
    }
    double total = 0;
    for (double c : want_count) total += c;
    for (int j = 0; j < s.k; ++j) {
      const double smoothed = (want_count[j] + eps) / (total + s.k * static_cast<double>(eps)) * total;
      for (int c = 0; c < s.d; ++c)
        want_cb[static_cast<size_t>(j) * s.d + c] = want_sum[static_cast<size_t>(j) * s.d + c] / smoothed;
    }
    std::vector<float> batch_count(s.k), batch_sum(kd);
    check(vq4j::vq_code_sums_cpu(ctx, codes.data(), ze.data(), batch_count.data(), batch_sum.data(), s.rows, s.d,
                                 s.k) == VQ4J_OK &&
              vq4j::vq_ema_update_cpu(ctx, batch_count.data(), batch_sum.data(), count.data(), sum.data(),
                                      cb.data(), gamma, eps, s.d, s.k) == VQ4J_OK,
          name + " status");
    check_close(count.data(), want_count, 1e-6, 1e-9, name + " ema_count");
    check_close(sum.data(), want_sum, 1e-5, 1e-7, name + " ema_sum");
    check_close(cb.data(), want_cb, 1e-5, 1e-7, name + " codebook");
    std::vector<int> bad = codes;
    bad[0] = -5;
    const auto code_sums = [&] {
      return vq4j::vq_code_sums_cpu(ctx, bad.data(), ze.data(), batch_count.data(), batch_sum.data(), s.rows, s.d,
                                    s.k);
    };
    check_rejects(ctx, code_sums, "codes[0] = -5", shape("vq_code_sums", s.rows, s.d, s.k) + " rejects code -5");
  }
}

void test_gated(vq4j_ctx* ctx) {
  for (int rows : {1, 7, 1000}) {
    for (int c : {1, 13, 64}) {
      const size_t n = static_cast<size_t>(rows) * c;
      std::vector<float> x = uniform(2 * n, -4, 4);
      x[0] = 100.0f;  // saturated tanh and sigmoid must not produce NaN
      x[2 * n - 1] = -100.0f;
      const std::vector<float> dy = uniform(n, -1, 1);
      std::vector<double> want_y(n), want_dx(2 * n);
      for (int r = 0; r < rows; ++r)
        for (int i = 0; i < c; ++i) {
          const double a = x[static_cast<size_t>(r) * 2 * c + i];
          const double b = x[static_cast<size_t>(r) * 2 * c + c + i];
          const double g = dy[static_cast<size_t>(r) * c + i];
          const double t = std::tanh(a), s = 1.0 / (1.0 + std::exp(-b));
          want_y[static_cast<size_t>(r) * c + i] = t * s;
          want_dx[static_cast<size_t>(r) * 2 * c + i] = g * s * (1 - t * t);
          want_dx[static_cast<size_t>(r) * 2 * c + c + i] = g * t * s * (1 - s);
        }
      std::vector<float> y(n), dx(2 * n);
      vq4j::gated_activation_fwd_cpu(ctx, x.data(), y.data(), rows, c);
      vq4j::gated_activation_bwd_cpu(ctx, x.data(), dy.data(), dx.data(), rows, c);
      check_close(y.data(), want_y, 1e-5, 1e-6, shape("gated_activation_fwd", rows, c));
      check_close(dx.data(), want_dx, 1e-5, 1e-6, shape("gated_activation_bwd", rows, c));
    }
  }
}

void test_losses(vq4j_ctx* ctx) {
  for (long long n : {1LL, 1001LL, 100003LL}) {
    const std::vector<float> p = uniform(n, -1, 1), t = uniform(n, -1, 1);
    double want = 0;
    std::vector<double> want_d(n);
    const float scale = 0.5f;
    for (long long i = 0; i < n; ++i) {
      want += (static_cast<double>(p[i]) - t[i]) * (p[i] - t[i]);
      want_d[i] = scale * 2.0 * (static_cast<double>(p[i]) - t[i]) / n;
    }
    float loss = -1;
    std::vector<float> d(n);
    vq4j::mse_fwd_cpu(ctx, p.data(), t.data(), &loss, n);
    vq4j::mse_bwd_cpu(ctx, p.data(), t.data(), d.data(), scale, n);
    check_close(&loss, {want / n}, 1e-6, 0, "mse_fwd count " + std::to_string(n));
    check_close(d.data(), want_d, 1e-5, 1e-12, "mse_bwd count " + std::to_string(n));
  }
}

// The softmax cross-entropy's two CPU versions: the reference and the fast path (softmax_xent_lanes_cpu.cpp).
struct Xent {
  const char* name;
  int (*fwd)(vq4j_ctx*, const float*, const int*, float*, float*, int, int);
  int (*bwd)(vq4j_ctx*, const float*, const int*, float*, float, int, int);
};
const Xent kXents[] = {{"softmax_xent", vq4j::softmax_xent_fwd_cpu, vq4j::softmax_xent_bwd_cpu},
                       {"softmax_xent_lanes", vq4j::softmax_xent_fwd_lanes, vq4j::softmax_xent_bwd_lanes}};

void test_softmax_xent(vq4j_ctx* ctx, const Xent& xent) {
  for (int rows : {1, 9, 700}) {
    for (int k : {1, 7, 17, 512, 513}) {
      const size_t n = static_cast<size_t>(rows) * k;
      std::vector<float> x = uniform(n, -5, 5);
      x[0] = 1000.0f;  // a naive exp would overflow
      const std::vector<int> targets = random_ints(rows, 0, k - 1);
      const float scale = 1.5f;
      std::vector<double> want_nll(rows), want_d(n);
      double want = 0;
      for (int r = 0; r < rows; ++r) {
        const float* xr = &x[static_cast<size_t>(r) * k];
        double mx = xr[0];
        for (int j = 1; j < k; ++j) mx = std::max(mx, static_cast<double>(xr[j]));
        double s = 0;
        for (int j = 0; j < k; ++j) s += std::exp(xr[j] - mx);
        const double lse = mx + std::log(s);
        want_nll[r] = lse - xr[targets[r]];
        want += want_nll[r];
        for (int j = 0; j < k; ++j)
          want_d[static_cast<size_t>(r) * k + j] = scale * (std::exp(xr[j] - lse) - (j == targets[r])) / rows;
      }
      const std::string name = shape(xent.name, rows, k);
      float loss = -1, loss_no_nll = -1;
      std::vector<float> nll(rows), d(n);
      check(xent.fwd(ctx, x.data(), targets.data(), &loss, nll.data(), rows, k) == VQ4J_OK,
            name + " fwd status");
      xent.fwd(ctx, x.data(), targets.data(), &loss_no_nll, nullptr, rows, k);
      xent.bwd(ctx, x.data(), targets.data(), d.data(), scale, rows, k);
      check_close(&loss, {want / rows}, 1e-6, 1e-7, name + " loss");
      check(loss == loss_no_nll, name + " loss without nll");
      check_close(nll.data(), want_nll, 1e-5, 1e-6, name + " nll");
      check_close(d.data(), want_d, 1e-5, 1e-9, name + " bwd");
      std::vector<int> bad = targets;
      bad[rows - 1] = k;
      const auto fwd = [&] {
        return xent.fwd(ctx, x.data(), bad.data(), &loss, nullptr, rows, k);
      };
      check_rejects(ctx, fwd, "targets[", name + " fwd rejects target k");
      bad[rows - 1] = -1;
      const auto bwd = [&] {
        return xent.bwd(ctx, x.data(), bad.data(), d.data(), scale, rows, k);
      };
      check_rejects(ctx, bwd, "targets[", name + " bwd rejects target -1");
    }
  }
}

void test_embedding(vq4j_ctx* ctx) {
  struct Shape { int rows, d, k; };
  for (Shape s : {Shape{1, 3, 4}, Shape{37, 13, 11}, Shape{5000, 64, 512}}) {
    const std::string name = shape("embedding", s.rows, s.d, s.k);
    const size_t n = static_cast<size_t>(s.rows) * s.d, kd = static_cast<size_t>(s.k) * s.d;
    const std::vector<float> table = uniform(kd, -1, 1), dy = uniform(n, -1, 1);
    const std::vector<int> ids = random_ints(s.rows, 0, s.k - 1);
    std::vector<double> want_y(n), want_dt(kd, 0.0);
    for (int r = 0; r < s.rows; ++r)
      for (int c = 0; c < s.d; ++c) {
        want_y[static_cast<size_t>(r) * s.d + c] = table[static_cast<size_t>(ids[r]) * s.d + c];
        want_dt[static_cast<size_t>(ids[r]) * s.d + c] += dy[static_cast<size_t>(r) * s.d + c];
      }
    std::vector<float> y(n), dt(kd, 99.0f);
    check(vq4j::embedding_fwd_cpu(ctx, table.data(), ids.data(), y.data(), s.rows, s.d, s.k) == VQ4J_OK,
          name + " fwd status");
    check(vq4j::embedding_bwd_cpu(ctx, ids.data(), dy.data(), dt.data(), s.rows, s.d, s.k) == VQ4J_OK,
          name + " bwd status");
    check_close(y.data(), want_y, 0, 1e-30, name + " fwd");
    check_close(dt.data(), want_dt, 1e-5, 1e-6, name + " bwd");
    std::vector<int> bad = ids;
    bad[s.rows / 2] = s.k;
    const auto fwd = [&] {
      return vq4j::embedding_fwd_cpu(ctx, table.data(), bad.data(), y.data(), s.rows, s.d, s.k);
    };
    check_rejects(ctx, fwd, "ids[", name + " fwd rejects id k");
    bad[s.rows / 2] = -1;
    const auto bwd = [&] {
      return vq4j::embedding_bwd_cpu(ctx, bad.data(), dy.data(), dt.data(), s.rows, s.d, s.k);
    };
    check_rejects(ctx, bwd, "ids[", name + " bwd rejects id -1");
  }
}

void test_adam(vq4j_ctx* ctx) {
  for (long long n : {1LL, 1001LL, 100003LL}) {
    std::vector<float> p = uniform(n, -1, 1), m(n, 0.0f), v(n, 0.0f);
    std::vector<double> wp(p.begin(), p.end()), wm(n, 0.0), wv(n, 0.0);
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
    for (int t = 1; t <= 3; ++t) {
      const std::vector<float> g = uniform(n, -1, 1);
      const double bc1 = 1 - std::pow(static_cast<double>(b1), t);
      const double bc2 = 1 - std::pow(static_cast<double>(b2), t);
      for (long long i = 0; i < n; ++i) {
        const double gi = g[i] + static_cast<double>(wd) * wp[i];
        wm[i] = b1 * wm[i] + (1.0 - b1) * gi;
        wv[i] = b2 * wv[i] + (1.0 - b2) * gi * gi;
        wp[i] -= lr / bc1 * wm[i] / (std::sqrt(wv[i]) / std::sqrt(bc2) + eps);
      }
      vq4j::adam_step_cpu(ctx, p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, t, 0);
    }
    const std::string size = " count " + std::to_string(n);
    check_close(p.data(), wp, 1e-5, 1e-6, "adam param" + size);
    check_close(m.data(), wm, 1e-5, 1e-7, "adam m" + size);
    check_close(v.data(), wv, 1e-4, 1e-9, "adam v" + size);
  }
}

// The reductions and scatter-adds must give the same bits whatever the thread count.
void test_thread_count_independence(vq4j_ctx* ctx) {
  const int rows = 4000, d = 32, k = 64;
  const size_t n = static_cast<size_t>(rows) * d;
  const std::vector<float> ze = uniform(n, -1, 1), zq = uniform(n, -1, 1), dzq = uniform(n, -1, 1);
  const std::vector<int> codes = random_ints(rows, 0, k - 1);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> out(1 + n + 3 * static_cast<size_t>(k) * d + k, 0.0f);
    float* loss = out.data();
    float* dze = loss + 1;
    float* dcb = dze + n;
    float* dt = dcb + static_cast<size_t>(k) * d;
    float* count = dt + static_cast<size_t>(k) * d;
    float* sum = count + k;
    vq4j::vq_loss_cpu(ctx, ze.data(), zq.data(), loss, rows, d);
    vq4j::vq_quantize_bwd_cpu(ctx, ze.data(), zq.data(), codes.data(), dzq.data(), dze, dcb, 0.25f, 1.0f,
                              rows, d, k);
    vq4j::embedding_bwd_cpu(ctx, codes.data(), dzq.data(), dt, rows, d, k);
    std::vector<float> cb(static_cast<size_t>(k) * d);
    std::vector<float> batch_count(k), batch_sum(static_cast<size_t>(k) * d);
    vq4j::vq_code_sums_cpu(ctx, codes.data(), ze.data(), batch_count.data(), batch_sum.data(), rows, d, k);
    vq4j::vq_ema_update_cpu(ctx, batch_count.data(), batch_sum.data(), count, sum, cb.data(), 0.99f, 1e-5f, d, k);
    results.push_back(out);
  }
  omp_set_num_threads(omp_get_num_procs());
  check(results[0] == results[1], "vq_loss, vq_quantize_bwd, embedding_bwd, vq_code_sums + vq_ema_update: 1 vs 3 threads");
  // k = 40: rows that end inside a lane block; rows * k passes the backward's threading threshold.
  const int classes = 40;
  const std::vector<float> logits = uniform(static_cast<size_t>(rows) * classes, -8, 8);
  const std::vector<int> targets = random_ints(rows, 0, classes - 1);
  for (const Xent& xent : kXents) {
    std::vector<std::vector<float>> outs;
    for (int threads : {1, 3}) {
      omp_set_num_threads(threads);
      std::vector<float> out(1 + rows + static_cast<size_t>(rows) * classes);
      xent.fwd(ctx, logits.data(), targets.data(), out.data(), out.data() + 1, rows, classes);
      xent.bwd(ctx, logits.data(), targets.data(), out.data() + 1 + rows, 0.7f, rows, classes);
      outs.push_back(out);
    }
    omp_set_num_threads(omp_get_num_procs());
    check(outs[0] == outs[1], std::string(xent.name) + " fwd and bwd: 1 vs 3 threads");
  }
}

}  // namespace

int main() {
  vq4j_ctx* ctx = vq4j_ctx_create(-1);
  if (ctx == nullptr || vq4j_ctx_status(ctx) != VQ4J_OK) {
    std::printf("cannot create a CPU context\n");
    return 1;
  }
  test_elementwise(ctx);
  test_quantize_fwd(ctx);
  test_quantize_rest(ctx);
  test_ema(ctx);
  test_gated(ctx);
  test_losses(ctx);
  for (const Xent& xent : kXents) test_softmax_xent(ctx, xent);
  test_embedding(ctx);
  test_adam(ctx);
  test_thread_count_independence(ctx);
  vq4j_ctx_destroy(ctx);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
