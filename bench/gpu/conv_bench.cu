// bench/gpu/conv_bench.cu: vq4j's hand-written CUDA convolutions against cuDNN 9 on the same shapes.
//
// What it measures. For every conv layer of the "sonnet" VQ-VAE and the PixelCNN prior (the Layer table
// of bench/java/ai/vq4j/bench/OpsBench.java: batch 32, NHWC, float32) and each direction (forward with
// bias, backward-data, backward-weight with the bias gradient), it
//   - runs vq4j's op through the public C API (vq4j_ctx_create(0), vq4j_malloc, vq4j_conv2d_fwd, ...),
//   - runs the same convolution in cuDNN 9 (cudnnConvolutionForward + cudnnAddTensor,
//     cudnnConvolutionBackwardData, cudnnConvolutionBackwardFilter + cudnnConvolutionBackwardBias) with
//     NHWC tensor and filter descriptors, the fastest algorithm cudnnFind*Algorithm reports (the
//     cudnnGet*Algorithm_v7 heuristic when Find fails) and that algorithm's workspace,
//   - checks the two outputs agree: max |vq4j - cuDNN| / max |cuDNN| over every output (dw and db both
//     for backward-weight), against 1e-3 in FP32 (1e-2 with --tf32),
//   - times both the same way: after --warmup calls, --iters back-to-back calls between two stream
//     synchronisations (vq4j_sync / cudaStreamSynchronize), host clock, divided by --iters. The C API does
//     not expose vq4j's CUDA stream, so CUDA events cannot bracket vq4j's launches; cuDNN is also timed with
//     cudaEvents on its own stream (column "cuDNN ev") as a check of the host-clock method,
// and prints a Markdown table: µs per call each, the time ratio vq4j / cuDNN (> 1: vq4j slower), GFLOP/s
// each and the fraction of the GPU's FP32 peak.
//
// FLOPs are the dense convolution's, 2 * N * (output pixels) * Co * Ci * k * k for every direction (for a
// transposed conv, its input pixels), on both sides; so a masked conv (mask B keeps 5 of the 9 taps of a
// 3x3; cuDNN is given the masked weights and computes all 9) is counted as the dense 3x3. The peak is
// --peak TFLOP/s (default 67: the H100 SXM's / H200's FP32 non-tensor peak; 51 for an H100 PCIe), printed.
//
// FP32 by default on both sides: the cuDNN convolution descriptors use CUDNN_FMA_MATH (no TF32 tensor
// cores) and vq4j's opt-in TF32 forward is off. --tf32 lets cuDNN pick tensor-op algorithms
// (CUDNN_DEFAULT_MATH) and sets VQ4J_CONV_TF32=1 for vq4j (it has TF32 for the forward only).
//
// Build (optional; needs CUDA and cuDNN 9 headers and libraries):
//   from the project:   cmake -S . -B target/cmake -DCUDNN_ROOT=<dir with include/cudnn.h, lib/libcudnn.so.9>
//                       cmake --build target/cmake --target vq4j_conv_bench
//   against a built libvq4j.so (no oneDNN needed; what bench/gpu-check run does):
//                       cmake -S bench/gpu -B <build> -DVQ4J_LIB_DIR=<dir with libvq4j.so> [-DCUDNN_ROOT=...]
//                       cmake --build <build>
// Run: LD_LIBRARY_PATH=<cudnn lib>:<cublas lib> vq4j_conv_bench [--iters 200] [--warmup 20] [--peak 67]
//      [--tf32] [--layer NAME]
// Exit status: 0 all outputs agree, 1 a mismatch or an error, 2 no CUDA device.
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "vq4j.h"

namespace {

#define CK_CUDA(call)                                                                                 \
  do {                                                                                                \
    cudaError_t e_ = (call);                                                                          \
    if (e_ != cudaSuccess) {                                                                          \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));     \
      std::exit(1);                                                                                   \
    }                                                                                                 \
  } while (0)

#define CK_DNN(call)                                                                                  \
  do {                                                                                                \
    cudnnStatus_t s_ = (call);                                                                        \
    if (s_ != CUDNN_STATUS_SUCCESS) {                                                                 \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudnnGetErrorString(s_));    \
      std::exit(1);                                                                                   \
    }                                                                                                 \
  } while (0)

vq4j_ctx* g_ctx = nullptr;

void ck_vq(int status, const char* what) {
  if (status != VQ4J_OK) {
    std::fprintf(stderr, "vq4j %s failed (%d): %s\n", what, status, vq4j_last_error(g_ctx));
    std::exit(1);
  }
}

enum Kind { kConv, kConvT, kMaskedB };
enum Dir { kFwd, kBwdData, kBwdWeight };
const char* kDirName[] = {"fwd", "bwd-data", "bwd-weight"};

// The Layer table of OpsBench.java (batch 32): hw is the input's spatial size.
struct Layer {
  const char* name;
  Kind kind;
  int hw, ci, co, k, stride, pad;
  int out_hw() const { return kind == kConvT ? (hw - 1) * stride - 2 * pad + k : (hw + 2 * pad - k) / stride + 1; }
};
const Layer kLayers[] = {
    {"enc_conv1", kConv, 32, 1, 64, 4, 2, 1},      {"enc_conv2", kConv, 16, 64, 128, 4, 2, 1},
    {"enc_conv3", kConv, 8, 128, 128, 3, 1, 1},    {"res_conv3x3", kConv, 8, 128, 32, 3, 1, 1},
    {"res_conv1x1", kConv, 8, 32, 128, 1, 1, 0},   {"pre_vq_conv1x1", kConv, 8, 128, 64, 1, 1, 0},
    {"dec_convT1", kConvT, 8, 128, 64, 4, 2, 1},   {"dec_convT2", kConvT, 16, 64, 1, 4, 2, 1},
    {"masked_b3x3", kMaskedB, 8, 64, 128, 3, 1, 1},
};
const int kBatch = 32;

// Mask B over a k x k kernel (c = k / 2): rows above, and the centre row up to and including the centre.
bool mask_b_keeps(int i, int j, int k) { return i < k / 2 || (i == k / 2 && j <= k / 2); }

float* dev_alloc(size_t count) {
  void* p = vq4j_malloc(g_ctx, count * sizeof(float));
  if (p == nullptr) {
    std::fprintf(stderr, "vq4j_malloc(%zu floats) failed: %s\n", count, vq4j_last_error(g_ctx));
    std::exit(1);
  }
  return static_cast<float*>(p);
}
void upload(float* dst, const std::vector<float>& v) {
  ck_vq(vq4j_memcpy(g_ctx, dst, v.data(), v.size() * sizeof(float), VQ4J_COPY_HOST_TO_DEVICE), "upload");
  ck_vq(vq4j_sync(g_ctx), "sync");
}
std::vector<float> download(const float* src, size_t count) {
  std::vector<float> v(count);
  ck_vq(vq4j_memcpy(g_ctx, v.data(), src, count * sizeof(float), VQ4J_COPY_DEVICE_TO_HOST), "download");
  return v;
}
std::vector<float> random_vec(std::mt19937& rng, size_t count, float scale) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(count);
  for (auto& x : v) x = u(rng);
  return v;
}

struct Err {
  double max_abs_diff = 0, max_ref = 0;
  void add(const std::vector<float>& got, const std::vector<float>& ref) {
    for (size_t i = 0; i < ref.size(); i++) {
      double d = std::fabs(static_cast<double>(got[i]) - ref[i]);
      if (!(d <= max_abs_diff)) max_abs_diff = d;  // NaN propagates
      max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref[i])));
    }
  }
  double rel() const { return max_abs_diff / std::max(max_ref, 1e-30); }
};

struct Options {
  int iters = 200, warmup = 20;
  double peak_tflops = 0;  // 0: from the device name
  bool tf32 = false;
  std::string layer;
};

struct Timing {
  double host_us = 0, event_us = 0;
};

// cuDNN setup of one convolution "G" with input In [n, c_in, h_in, w_in], filter [k_out, kh, kw, c_in]
// (KRSC, i.e. NHWC filter format) and output Out [n, k_out, h_out, w_out], all NHWC.
struct Geometry {
  int n, c_in, h_in, k_out, h_out, k, stride, pad;
};

struct Dnn {
  cudnnHandle_t handle;
  cudaStream_t stream;
  bool tf32;
};

cudnnTensorDescriptor_t tensor_desc(int n, int c, int h, int w) {
  cudnnTensorDescriptor_t d;
  CK_DNN(cudnnCreateTensorDescriptor(&d));
  CK_DNN(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, c, h, w));
  return d;
}

struct Descs {
  cudnnTensorDescriptor_t in, out, bias_out, bias_in;
  cudnnFilterDescriptor_t filt;
  cudnnConvolutionDescriptor_t conv;
  Descs(const Geometry& g, bool tf32) {
    in = tensor_desc(g.n, g.c_in, g.h_in, g.h_in);
    out = tensor_desc(g.n, g.k_out, g.h_out, g.h_out);
    bias_out = tensor_desc(1, g.k_out, 1, 1);
    bias_in = tensor_desc(1, g.c_in, 1, 1);
    CK_DNN(cudnnCreateFilterDescriptor(&filt));
    CK_DNN(cudnnSetFilter4dDescriptor(filt, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, g.k_out, g.c_in, g.k, g.k));
    CK_DNN(cudnnCreateConvolutionDescriptor(&conv));
    CK_DNN(cudnnSetConvolution2dDescriptor(conv, g.pad, g.pad, g.stride, g.stride, 1, 1,
                                           CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CK_DNN(cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~Descs() {
    cudnnDestroyTensorDescriptor(in);
    cudnnDestroyTensorDescriptor(out);
    cudnnDestroyTensorDescriptor(bias_out);
    cudnnDestroyTensorDescriptor(bias_in);
    cudnnDestroyFilterDescriptor(filt);
    cudnnDestroyConvolutionDescriptor(conv);
  }
};

// Picks the fastest successful perf result (Find sorts them by time). In FP32 mode, tensor-op math is
// refused (FMA or default math only; NVIDIA_TF32_OVERRIDE=0 keeps default math off TF32).
template <typename Perf>
bool pick(const Perf* perf, int count, bool tf32, Perf* chosen) {
  for (int i = 0; i < count; i++) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (!tf32 && perf[i].mathType != CUDNN_FMA_MATH && perf[i].mathType != CUDNN_DEFAULT_MATH) continue;
    *chosen = perf[i];
    return true;
  }
  return false;
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "default";
    case CUDNN_TENSOR_OP_MATH: return "tensor-op";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor-op+conv";
    case CUDNN_FMA_MATH: return "fma";
  }
  return "?";
}

// The three cuDNN directions on G, each with its chosen algorithm and workspace.
struct DnnConv {
  Descs d;
  cudnnConvolutionFwdAlgo_t fwd_algo{};
  cudnnConvolutionBwdDataAlgo_t bwd_data_algo{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter_algo{};
  size_t fwd_ws = 0, bwd_data_ws = 0, bwd_filter_ws = 0;
  std::string how_fwd, how_bwd_data, how_bwd_filter;

  DnnConv(const Dnn& dnn, const Geometry& g, bool need_fwd, bool need_bwd_data, bool need_bwd_filter)
      : d(g, dnn.tf32) {
    const int kMax = 16;
    int got = 0;
    if (need_fwd) {
      cudnnConvolutionFwdAlgoPerf_t perf[kMax], best;
      bool ok = cudnnFindConvolutionForwardAlgorithm(dnn.handle, d.in, d.filt, d.conv, d.out, kMax, &got, perf) ==
                    CUDNN_STATUS_SUCCESS && pick(perf, got, dnn.tf32, &best);
      how_fwd = "find";
      if (!ok) {
        CK_DNN(cudnnGetConvolutionForwardAlgorithm_v7(dnn.handle, d.in, d.filt, d.conv, d.out, kMax, &got, perf));
        if (!pick(perf, got, dnn.tf32, &best)) best = perf[0];  // its math type is then shown in the table
        how_fwd = "get_v7";
      }
      fwd_algo = best.algo;
      fwd_ws = best.memory;
      CK_DNN(cudnnSetConvolutionMathType(d.conv, best.mathType));
      how_fwd += " algo " + std::to_string(static_cast<int>(best.algo)) + " " + math_name(best.mathType);
    }
    if (need_bwd_data) {
      cudnnConvolutionBwdDataAlgoPerf_t perf[kMax], best;
      bool ok = cudnnFindConvolutionBackwardDataAlgorithm(dnn.handle, d.filt, d.out, d.conv, d.in, kMax, &got,
                                                          perf) == CUDNN_STATUS_SUCCESS &&
                pick(perf, got, dnn.tf32, &best);
      how_bwd_data = "find";
      if (!ok) {
        CK_DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(dnn.handle, d.filt, d.out, d.conv, d.in, kMax, &got,
                                                            perf));
        if (!pick(perf, got, dnn.tf32, &best)) best = perf[0];
        how_bwd_data = "get_v7";
      }
      bwd_data_algo = best.algo;
      bwd_data_ws = best.memory;
      CK_DNN(cudnnSetConvolutionMathType(d.conv, best.mathType));
      how_bwd_data += " algo " + std::to_string(static_cast<int>(best.algo)) + " " + math_name(best.mathType);
    }
    if (need_bwd_filter) {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[kMax], best;
      bool ok = cudnnFindConvolutionBackwardFilterAlgorithm(dnn.handle, d.in, d.out, d.conv, d.filt, kMax, &got,
                                                            perf) == CUDNN_STATUS_SUCCESS &&
                pick(perf, got, dnn.tf32, &best);
      how_bwd_filter = "find";
      if (!ok) {
        CK_DNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(dnn.handle, d.in, d.out, d.conv, d.filt, kMax, &got,
                                                              perf));
        if (!pick(perf, got, dnn.tf32, &best)) best = perf[0];
        how_bwd_filter = "get_v7";
      }
      bwd_filter_algo = best.algo;
      bwd_filter_ws = best.memory;
      CK_DNN(cudnnSetConvolutionMathType(d.conv, best.mathType));
      how_bwd_filter += " algo " + std::to_string(static_cast<int>(best.algo)) + " " + math_name(best.mathType);
    }
  }
};

// The math type is a property of the descriptor, so each direction gets its own DnnConv (see run_layer).

struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
  void ensure(size_t n) {
    if (n <= bytes) return;
    if (ptr != nullptr) CK_CUDA(cudaFree(ptr));
    CK_CUDA(cudaMalloc(&ptr, n));
    bytes = n;
  }
  ~Workspace() {
    if (ptr != nullptr) cudaFree(ptr);
  }
};

Timing time_vq4j(const Options& o, const std::function<void()>& call) {
  for (int i = 0; i < o.warmup; i++) call();
  ck_vq(vq4j_sync(g_ctx), "sync");
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.iters; i++) call();
  ck_vq(vq4j_sync(g_ctx), "sync");
  auto t1 = std::chrono::steady_clock::now();
  Timing t;
  t.host_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / o.iters;
  t.event_us = NAN;
  return t;
}

Timing time_dnn(const Options& o, const Dnn& dnn, const std::function<void()>& call) {
  for (int i = 0; i < o.warmup; i++) call();
  CK_CUDA(cudaStreamSynchronize(dnn.stream));
  cudaEvent_t e0, e1;
  CK_CUDA(cudaEventCreate(&e0));
  CK_CUDA(cudaEventCreate(&e1));
  auto t0 = std::chrono::steady_clock::now();
  CK_CUDA(cudaEventRecord(e0, dnn.stream));
  for (int i = 0; i < o.iters; i++) call();
  CK_CUDA(cudaEventRecord(e1, dnn.stream));
  CK_CUDA(cudaStreamSynchronize(dnn.stream));
  auto t1 = std::chrono::steady_clock::now();
  float ms = 0;
  CK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
  CK_CUDA(cudaEventDestroy(e0));
  CK_CUDA(cudaEventDestroy(e1));
  Timing t;
  t.host_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / o.iters;
  t.event_us = ms * 1e3 / o.iters;
  return t;
}

int g_mismatches = 0;

void report(const Options& o, const Layer& l, Dir dir, double flops, const Timing& tv, const Timing& td,
            double rel, const std::string& algo) {
  double peak = o.peak_tflops * 1e12;
  double gv = flops / (tv.host_us * 1e-6), gd = flops / (td.host_us * 1e-6);
  double tol = o.tf32 ? 1e-2 : 1e-3;
  bool ok = rel <= tol;
  if (!ok) g_mismatches++;
  char shape[96];
  std::snprintf(shape, sizeof shape, "%s %dx%dx%d->%dx%dx%d k%d s%d", l.name, l.hw, l.hw, l.ci, l.out_hw(),
                l.out_hw(), l.co, l.k, l.stride);
  std::printf("| %s | %s | %.1f | %.1f | %.1f | %.2f | %.0f | %.0f | %.2f%% | %.2f%% | %.1e%s | %s |\n", shape,
              kDirName[dir], tv.host_us, td.host_us, td.event_us, tv.host_us / td.host_us, gv * 1e-9, gd * 1e-9,
              100 * gv / peak, 100 * gd / peak, rel, ok ? "" : " MISMATCH", algo.c_str());
  std::fflush(stdout);
}

void run_layer(const Options& o, const Dnn& dnn, const Layer& l, std::mt19937& rng) {
  const int n = kBatch, hw = l.hw, ohw = l.out_hw();
  const size_t nx = static_cast<size_t>(n) * hw * hw * l.ci;
  const size_t ny = static_cast<size_t>(n) * ohw * ohw * l.co;
  const size_t nw = static_cast<size_t>(l.co) * l.k * l.k * l.ci;
  // Dense FLOPs: per pixel of the side that is the conv's "output" (for convT: its input pixels).
  const double pixels = l.kind == kConvT ? static_cast<double>(n) * hw * hw : static_cast<double>(n) * ohw * ohw;
  const double flops = 2.0 * pixels * l.co * l.ci * l.k * l.k;

  std::vector<float> hx = random_vec(rng, nx, 1.f), hdy = random_vec(rng, ny, 1.f);
  std::vector<float> hw_ = random_vec(rng, nw, 0.1f), hb = random_vec(rng, l.co, 0.1f);
  // cuDNN's copy of the weights: masked for the masked conv (vq4j applies the mask itself).
  std::vector<float> hw_dnn = hw_;
  // Weight layout [Co, k, k, Ci] (conv, masked) or [Ci, k, k, Co] (convT): the tap (i, j) is the middle.
  const int outer = l.kind == kConvT ? l.ci : l.co, inner = l.kind == kConvT ? l.co : l.ci;
  auto tap_of = [&](size_t idx) { return static_cast<int>((idx / inner) % (l.k * l.k)); };
  if (l.kind == kMaskedB) {
    for (size_t i = 0; i < nw; i++) {
      int t = tap_of(i);
      if (!mask_b_keeps(t / l.k, t % l.k, l.k)) hw_dnn[i] = 0.f;
    }
  }
  (void)outer;

  float *x = dev_alloc(nx), *dy = dev_alloc(ny), *w = dev_alloc(nw), *wd = dev_alloc(nw), *b = dev_alloc(l.co);
  float *y_v = dev_alloc(ny), *y_d = dev_alloc(ny), *dx_v = dev_alloc(nx), *dx_d = dev_alloc(nx);
  float *dw_v = dev_alloc(nw), *dw_d = dev_alloc(nw), *db_v = dev_alloc(l.co), *db_d = dev_alloc(l.co);
  upload(x, hx);
  upload(dy, hdy);
  upload(w, hw_);
  upload(wd, hw_dnn);
  upload(b, hb);

  // G: the cuDNN convolution whose forward is the layer's conv (conv, masked) or whose backward-data is the
  // layer's transposed conv (convT: G's input is the convT's output, G's output its input).
  Geometry g = l.kind == kConvT ? Geometry{n, l.co, ohw, l.ci, hw, l.k, l.stride, l.pad}
                                : Geometry{n, l.ci, hw, l.co, ohw, l.k, l.stride, l.pad};
  const float one = 1.f, zero = 0.f;
  Workspace ws;

  for (Dir dir : {kFwd, kBwdData, kBwdWeight}) {
    std::function<void()> vq, dnn_call;
    std::string algo;
    // vq4j
    switch (dir) {
      case kFwd:
        vq = [&] {
          int s = l.kind == kConv ? vq4j_conv2d_fwd(g_ctx, x, w, b, y_v, n, hw, hw, l.ci, l.co, l.k, l.k, l.stride, l.pad)
                  : l.kind == kConvT
                      ? vq4j_conv_transpose2d_fwd(g_ctx, x, w, b, y_v, n, hw, hw, l.ci, l.co, l.k, l.k, l.stride, l.pad)
                      : vq4j_masked_conv2d_fwd(g_ctx, x, w, b, y_v, n, hw, hw, l.ci, l.co, l.k, VQ4J_MASK_B);
          ck_vq(s, "fwd");
        };
        break;
      case kBwdData:
        vq = [&] {
          int s = l.kind == kConv
                      ? vq4j_conv2d_bwd_data(g_ctx, dy, w, dx_v, n, hw, hw, l.ci, l.co, l.k, l.k, l.stride, l.pad)
                  : l.kind == kConvT ? vq4j_conv_transpose2d_bwd_data(g_ctx, dy, w, dx_v, n, hw, hw, l.ci, l.co, l.k,
                                                                       l.k, l.stride, l.pad)
                                     : vq4j_masked_conv2d_bwd_data(g_ctx, dy, w, dx_v, n, hw, hw, l.ci, l.co, l.k,
                                                                   VQ4J_MASK_B);
          ck_vq(s, "bwd_data");
        };
        break;
      case kBwdWeight:
        vq = [&] {
          int s = l.kind == kConv ? vq4j_conv2d_bwd_weight(g_ctx, x, dy, dw_v, db_v, n, hw, hw, l.ci, l.co, l.k, l.k,
                                                           l.stride, l.pad)
                  : l.kind == kConvT ? vq4j_conv_transpose2d_bwd_weight(g_ctx, x, dy, dw_v, db_v, n, hw, hw, l.ci,
                                                                         l.co, l.k, l.k, l.stride, l.pad)
                                     : vq4j_masked_conv2d_bwd_weight(g_ctx, x, dy, dw_v, db_v, n, hw, hw, l.ci,
                                                                     l.co, l.k, VQ4J_MASK_B);
          ck_vq(s, "bwd_weight");
        };
        break;
    }
    // cuDNN. Each direction gets its own descriptors (the chosen algorithm's math type lives on them).
    // Which cuDNN routine serves a direction depends on the layer kind:
    //   conv/masked: fwd = Forward (+bias), bwd-data = BackwardData, bwd-weight = BackwardFilter (+bias grad)
    //   convT:       fwd = BackwardData (+bias), bwd-data = Forward, bwd-weight = BackwardFilter with G's
    //                input = the convT's dy and G's output gradient = the convT's x (+bias grad over dy)
    const bool t = l.kind == kConvT;
    const bool use_fwd = (dir == kFwd && !t) || (dir == kBwdData && t);
    const bool use_bwd_data = (dir == kBwdData && !t) || (dir == kFwd && t);
    const bool use_bwd_filter = dir == kBwdWeight;
    auto dc = std::make_shared<DnnConv>(dnn, g, use_fwd, use_bwd_data, use_bwd_filter);
    ws.ensure(std::max({dc->fwd_ws, dc->bwd_data_ws, dc->bwd_filter_ws}));
    // Data of G: in_ptr (G's input), out_ptr (G's output) per direction.
    if (use_fwd) {
      const float* in = t ? dy : x;
      float* out = t ? dx_d : y_d;
      bool bias = !t;
      algo = dc->how_fwd;
      dnn_call = [&, dc, in, out, bias] {
        CK_DNN(cudnnConvolutionForward(dnn.handle, &one, dc->d.in, in, dc->d.filt, wd, dc->d.conv, dc->fwd_algo, ws.ptr,
                                       dc->fwd_ws, &zero, dc->d.out, out));
        if (bias) CK_DNN(cudnnAddTensor(dnn.handle, &one, dc->d.bias_out, b, &one, dc->d.out, out));
      };
    } else if (use_bwd_data) {
      const float* dout = t ? x : dy;
      float* din = t ? y_d : dx_d;
      bool bias = t;
      algo = dc->how_bwd_data;
      dnn_call = [&, dc, dout, din, bias] {
        CK_DNN(cudnnConvolutionBackwardData(dnn.handle, &one, dc->d.filt, wd, dc->d.out, dout, dc->d.conv,
                                            dc->bwd_data_algo, ws.ptr, dc->bwd_data_ws, &zero, dc->d.in, din));
        if (bias) CK_DNN(cudnnAddTensor(dnn.handle, &one, dc->d.bias_in, b, &one, dc->d.in, din));
      };
    } else {
      const float* in = t ? dy : x;
      const float* dout = t ? x : dy;
      algo = dc->how_bwd_filter;
      dnn_call = [&, dc, in, dout, t] {
        CK_DNN(cudnnConvolutionBackwardFilter(dnn.handle, &one, dc->d.in, in, dc->d.out, dout, dc->d.conv,
                                              dc->bwd_filter_algo, ws.ptr, dc->bwd_filter_ws, &zero, dc->d.filt, dw_d));
        // db: the sum of the layer's dy over N, H, W (G's output gradient for a conv, G's input for a convT).
        if (t) {
          CK_DNN(cudnnConvolutionBackwardBias(dnn.handle, &one, dc->d.in, dy, &zero, dc->d.bias_in, db_d));
        } else {
          CK_DNN(cudnnConvolutionBackwardBias(dnn.handle, &one, dc->d.out, dy, &zero, dc->d.bias_out, db_d));
        }
      };
    }

    // Outputs agree? (one call each, on fresh outputs)
    ck_vq(vq4j_sync(g_ctx), "sync");
    vq();
    ck_vq(vq4j_sync(g_ctx), "sync");
    dnn_call();
    CK_CUDA(cudaStreamSynchronize(dnn.stream));
    Err err;
    if (dir == kFwd) {
      err.add(download(y_v, ny), download(y_d, ny));
    } else if (dir == kBwdData) {
      err.add(download(dx_v, nx), download(dx_d, nx));
    } else {
      std::vector<float> ref = download(dw_d, nw);
      if (l.kind == kMaskedB) {  // vq4j's gradient of a masked-out weight is 0; cuDNN computes it
        for (size_t i = 0; i < nw; i++) {
          int tp = tap_of(i);
          if (!mask_b_keeps(tp / l.k, tp % l.k, l.k)) ref[i] = 0.f;
        }
      }
      err.add(download(dw_v, nw), ref);
      err.add(download(db_v, l.co), download(db_d, l.co));
    }

    Timing tv = time_vq4j(o, vq);
    Timing td = time_dnn(o, dnn, dnn_call);
    report(o, l, dir, flops, tv, td, err.rel(), algo);
  }

  for (float* p : {x, dy, w, wd, b, y_v, y_d, dx_v, dx_d, dw_v, dw_d, db_v, db_d}) vq4j_free(g_ctx, p);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(64);
      }
      return argv[++i];
    };
    if (a == "--iters") o.iters = std::atoi(next());
    else if (a == "--warmup") o.warmup = std::atoi(next());
    else if (a == "--peak") o.peak_tflops = std::atof(next());
    else if (a == "--tf32") o.tf32 = true;
    else if (a == "--layer") o.layer = next();
    else {
      std::fprintf(stderr, "usage: %s [--iters N] [--warmup N] [--peak TFLOPS] [--tf32] [--layer NAME]\n", argv[0]);
      return 64;
    }
  }
  if (o.iters < 1 || o.warmup < 0) {
    std::fprintf(stderr, "--iters must be >= 1, --warmup >= 0\n");
    return 64;
  }
  // vq4j reads VQ4J_CONV_TF32 once, at its first conv: set it (or clear it) before any call.
  // NVIDIA_TF32_OVERRIDE=0 also keeps cuDNN off TF32 in FP32 mode (it does not touch vq4j's own kernels).
  if (o.tf32) {
    setenv("VQ4J_CONV_TF32", "1", 1);
  } else {
    unsetenv("VQ4J_CONV_TF32");
    setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
  }

  int devices = 0;
  if (vq4j_cuda_built() != 1) {
    std::fprintf(stderr, "libvq4j was built without CUDA\n");
    return 2;
  }
  if (vq4j_cuda_device_count() < 1 || cudaGetDeviceCount(&devices) != cudaSuccess || devices < 1) {
    std::fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  g_ctx = vq4j_ctx_create(0);
  if (g_ctx == nullptr || vq4j_ctx_status(g_ctx) != VQ4J_OK) {
    std::fprintf(stderr, "vq4j_ctx_create(0): %s\n", g_ctx ? vq4j_last_error(g_ctx) : "out of memory");
    return 1;
  }
  CK_CUDA(cudaSetDevice(0));
  cudaDeviceProp prop;
  CK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::string name = prop.name;
  std::string peak_note = "given with --peak";
  if (o.peak_tflops <= 0) {
    if (name.find("H100") != std::string::npos && name.find("PCIe") != std::string::npos) {
      o.peak_tflops = 51.2;
      peak_note = "H100 PCIe FP32 (non-tensor) spec";
    } else {
      o.peak_tflops = 67.0;
      peak_note = "H100 SXM / H200 FP32 (non-tensor) spec; pass --peak for another GPU";
    }
  }

  Dnn dnn;
  dnn.tf32 = o.tf32;
  CK_DNN(cudnnCreate(&dnn.handle));
  CK_CUDA(cudaStreamCreateWithFlags(&dnn.stream, cudaStreamNonBlocking));
  CK_DNN(cudnnSetStream(dnn.handle, dnn.stream));

  std::printf("GPU: %s (sm_%d%d, %d SMs, %.1f GiB); vq4j %s; cuDNN %zu (headers %d.%d.%d); CUDA runtime %d\n",
              prop.name, prop.major, prop.minor, prop.multiProcessorCount,
              prop.totalGlobalMem / 1073741824.0, vq4j_version(), cudnnGetVersion(), CUDNN_MAJOR, CUDNN_MINOR,
              CUDNN_PATCHLEVEL, CUDART_VERSION);
  std::printf("%s; batch %d, NHWC float32; %d warm-up + %d timed calls per entry; peak used: %.1f TFLOP/s (%s)\n",
              o.tf32 ? "TF32 allowed (cuDNN DEFAULT_MATH, VQ4J_CONV_TF32=1)" : "FP32 (cuDNN FMA_MATH, no TF32)",
              kBatch, o.warmup, o.iters, o.peak_tflops, peak_note.c_str());
  std::printf("\n| layer (input -> output) | direction | vq4j µs | cuDNN µs | cuDNN ev µs | vq4j/cuDNN | "
              "vq4j GFLOP/s | cuDNN GFLOP/s | vq4j %% peak | cuDNN %% peak | max rel err | cuDNN algo |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");

  std::mt19937 rng(42);
  int ran = 0;
  for (const Layer& l : kLayers) {
    if (!o.layer.empty() && o.layer != l.name) continue;
    run_layer(o, dnn, l, rng);
    ran++;
  }
  if (ran == 0) {
    std::fprintf(stderr, "no layer named %s\n", o.layer.c_str());
    return 64;
  }
  std::printf("\nµs: mean per call over the timed calls, host clock between stream synchronisations (both "
              "sides); cuDNN ev: the same cuDNN calls timed by cudaEvents on its stream. vq4j/cuDNN > 1: vq4j "
              "slower. FLOPs: the dense conv's 2*N*pixels*Co*Ci*k*k (masked B counted as dense 3x3). fwd includes "
              "the bias add, bwd-weight the bias gradient, on both sides. max rel err: max|vq4j - cuDNN| / "
              "max|cuDNN|, tolerance %.0e.\n",
              o.tf32 ? 1e-2 : 1e-3);
  std::printf("%s\n", g_mismatches == 0 ? "all outputs agree" : "MISMATCH: some outputs disagree");

  cudnnDestroy(dnn.handle);
  cudaStreamDestroy(dnn.stream);
  vq4j_ctx_destroy(g_ctx);
  return g_mismatches == 0 ? 0 : 1;
}
