// OpenBLAS's sgemm against oneDNN's (dnnl_sgemm) and oneDNN's matmul primitive, at the matrix products vq4j
// runs on the CPU: the quantizer's distances (z e^T) and the im2col products of the reference convs. The
// three run alternately, round after round, in one process, so a busy machine slows all of them alike; the
// figure kept per side is its fastest round (the least disturbed one). Prints one markdown row per shape.
//   cmake --build target/cmake --target vq4j_gemm_bench && target/cmake/bin/vq4j_gemm_bench [rounds]
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace {

struct Shape {
  const char* what;
  int m, n, k;
  bool trans_b;  // C[m, n] = A[m, k] * B^T with B[n, k] (the distances), else B[k, n]
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
double best_of(int reps, F f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  const Shape shapes[] = {
      {"vq distances z[2048,64] e[512,64]", 2048, 512, 64, true},
      {"vq distances z[8192,64] e[512,64] (batch 128)", 8192, 512, 64, true},
      {"im2col enc_conv3 / res 3x3 [2048,1152]x[1152,128]", 2048, 128, 1152, false},
      {"im2col enc_conv2 [2048,1024]x[1024,128]", 2048, 128, 1024, false},
      {"1x1 pre_vq [2048,128]x[128,64]", 2048, 64, 128, false},
  };
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::printf("threads %d, %d rounds, best round per side\n\n", omp_get_max_threads(), rounds);
  std::printf("| product | OpenBLAS us | dnnl_sgemm us | oneDNN matmul us | OpenBLAS GFLOP/s | matmul GFLOP/s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const Shape& s : shapes) {
    std::vector<float> a(static_cast<size_t>(s.m) * s.k), b(static_cast<size_t>(s.k) * s.n),
        c(static_cast<size_t>(s.m) * s.n);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 17) * 0.01f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 13) * 0.01f;
    const int ldb = s.trans_b ? s.k : s.n;
    using dt = dnnl::memory::data_type;
    const dnnl::memory::desc a_md({s.m, s.k}, dt::f32, dnnl::memory::format_tag::ab);
    const dnnl::memory::desc b_md({s.k, s.n}, dt::f32, s.trans_b ? dnnl::memory::format_tag::ba
                                                                 : dnnl::memory::format_tag::ab);
    const dnnl::memory::desc c_md({s.m, s.n}, dt::f32, dnnl::memory::format_tag::ab);
    const dnnl::matmul mm(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), eng));
    dnnl::memory am(a_md, eng, a.data()), bm(b_md, eng, b.data()), cm(c_md, eng, c.data());
    auto blas = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f,
                  a.data(), s.k, b.data(), ldb, 0.0f, c.data(), s.n);
    };
    auto sgemm = [&] {
      dnnl_sgemm('N', s.trans_b ? 'T' : 'N', s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), ldb, 0.0f,
                 c.data(), s.n);
    };
    auto matmul = [&] {
      mm.execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
      strm.wait();
    };
    double t_blas = 1e30, t_sgemm = 1e30, t_mm = 1e30;
    for (int r = 0; r < rounds; ++r) {
      t_blas = std::min(t_blas, best_of(5, blas));
      t_sgemm = std::min(t_sgemm, best_of(5, sgemm));
      t_mm = std::min(t_mm, best_of(5, matmul));
    }
    const double flops = 2.0 * s.m * s.n * s.k;
    std::printf("| %s | %.1f | %.1f | %.1f | %.0f | %.0f |\n", s.what, t_blas * 1e6, t_sgemm * 1e6, t_mm * 1e6,
                flops / t_blas * 1e-9, flops / t_mm * 1e-9);
  }
  return 0;
}
