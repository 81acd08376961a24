/*
 * vq4j C API: the one header JavaCPP parses.
 *
 * Every op takes a context first. The context names the backend (the CPU, or one CUDA device with its
 * stream and scratch workspace), so every pointer passed with it lives in that backend's memory: host
 * memory for a CPU context, device memory for a CUDA context. Nothing guesses where a pointer lives.
 *
 * Every op returns 0 on success or a non-zero VQ4J_ERR_* status; vq4j_last_error(ctx) then tells what
 * went wrong (op name, file, line, and cudaGetErrorString where CUDA failed). No function calls exit().
 *
 * Layout: NHWC float32 activations (channels innermost), conv weights [C_out, kH, kW, C_in],
 * transposed-conv weights [C_in, kH, kW, C_out] (the weight of the conv it is the adjoint of),
 * integer codes and labels int32. Backward ops overwrite their outputs (they never accumulate).
 * Scalar results (losses, perplexity) are written to a one-float buffer in the context's memory, so a
 * CUDA training step never has to read back to the host.
 *
 * Sizes are checked in 64-bit arithmetic; no tensor an op addresses may exceed 2^31 - 1 elements. An
 * output may alias an input only in the elementwise ops (and in the in-place updates: adam_step's
 * param/m/v, vq_quantize_bwd's dz_e = dz_q); every other op refuses an output whose bytes overlap
 * another operand with VQ4J_ERR_ARGUMENT, since it would read what it has already overwritten.
 */
#ifndef VQ4J_H
#define VQ4J_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VQ4J_OK 0
#define VQ4J_ERR_ARGUMENT 1     /* a null pointer, a non-positive size, inconsistent shapes */
#define VQ4J_ERR_MEMORY 2       /* allocation failed */
#define VQ4J_ERR_CUDA 3         /* the CUDA runtime reported an error */
#define VQ4J_ERR_UNSUPPORTED 4  /* the op has no kernel for this backend, or CUDA is not built in */
#define VQ4J_ERR_COMM 5         /* a collective failed: a rank died or timed out, or the ranks disagree */
#define VQ4J_ERR_NONFINITE 6    /* an input holds NaN or infinity where the op has no result (the quantizer's
                                   latents): in training, the run diverged */

#define VQ4J_COPY_HOST_TO_DEVICE 1
#define VQ4J_COPY_DEVICE_TO_HOST 2
#define VQ4J_COPY_DEVICE_TO_DEVICE 3

/* Masks of masked_conv2d over a k x k kernel centred on the output position (c = k / 2):
 * A and B are PixelCNN's full 2-D masks (rows above, and the left part of the centre row; B keeps the
 * centre, A drops it). The stack masks are Gated PixelCNN's: the vertical stack sees whole rows above
 * (V_B also its own row, which is safe once the first vertical layer used V_A), the horizontal stack
 * sees only the centre row, left of the centre (H_A) or up to it (H_B). */
#define VQ4J_MASK_A 0
#define VQ4J_MASK_B 1
#define VQ4J_MASK_V_A 2
#define VQ4J_MASK_V_B 3
#define VQ4J_MASK_H_A 4
#define VQ4J_MASK_H_B 5

typedef struct vq4j_ctx vq4j_ctx;

/* ---- library and contexts ---- */
const char* vq4j_version(void);
/* 1 when the library was compiled with its CUDA kernels, 0 for a CPU-only build. */
int vq4j_cuda_built(void);
/* Number of usable CUDA devices: 0 without a driver or a GPU, or in a CPU-only build. Never fails. */
int vq4j_cuda_device_count(void);
/* ---- what `vq4j info` reports (native/src/info.cpp): never fail, never touch a context ---- */
/* Threads the CPU ops run on: OpenMP's maximum (OMP_NUM_THREADS, or the cores available). */
int vq4j_cpu_threads(void);
/* The CPU fast path: oneDNN's version, the instruction set its kernels dispatch to and its threading runtime,
 * e.g. "oneDNN 2.6.3 (AVX-512 kernels, OpenMP runtime) for convolutions and matrix products". */
const char* vq4j_cpu_fast_path(void);
/* CUDA versions as 1000 * major + 10 * minor (12080 = 12.8): the installed driver's (0 without one) and the
 * runtime this library was compiled against (0 in a CPU-only build). */
int vq4j_cuda_driver_version(void);
int vq4j_cuda_runtime_version(void);
/* CUDA device `device`: its name (NUL-terminated, cut to name_capacity bytes), total memory in bytes and
 * compute capability. VQ4J_ERR_ARGUMENT for a device that is not there or a null pointer,
 * VQ4J_ERR_UNSUPPORTED in a CPU-only build, VQ4J_ERR_CUDA when the runtime fails. */
int vq4j_cuda_device_info(int device, char* name, int name_capacity, long long* total_bytes, int* cc_major,
                          int* cc_minor);
/* "" when the Gloo communicator (libvq4j_gloo.so) loads, else why not. */
const char* vq4j_gloo_status(void);
/* NCCL's version (e.g. 22703 for 2.27.3) when libnccl.so.2 can be loaded on this machine, else 0. The
 * library is opened only to ask, then closed. */
int vq4j_nccl_version(void);
/* device < 0: the CPU; device >= 0: that CUDA device. Returns NULL only when the host is out of memory;
 * otherwise check vq4j_ctx_status (non-zero when the CUDA device could not be opened). */
vq4j_ctx* vq4j_ctx_create(int device);
int vq4j_ctx_status(const vq4j_ctx* ctx);
int vq4j_ctx_device(const vq4j_ctx* ctx);
void vq4j_ctx_destroy(vq4j_ctx* ctx);
const char* vq4j_last_error(const vq4j_ctx* ctx);
/* Context options. VQ4J_OPT_CPU_REFERENCE = 1 runs a CPU context's ops on the hand-written reference
 * kernels instead of the fast paths (oneDNN for the convolutions), for debugging and for checking one
 * against the other; 0, the default, takes the fast paths. A CUDA context ignores it. Returns
 * VQ4J_ERR_ARGUMENT for an unknown option or value. vq4j_ctx_get_option: the value, -1 for an unknown one. */
#define VQ4J_OPT_CPU_REFERENCE 1
int vq4j_ctx_set_option(vq4j_ctx* ctx, int option, int value);
int vq4j_ctx_get_option(const vq4j_ctx* ctx, int option);
/* Test hook: makes the next op on this context fail with VQ4J_ERR_ARGUMENT inside native code, so the
 * Java error path of a real native failure can be exercised. */
void vq4j_ctx_inject_failure(vq4j_ctx* ctx);

/* ---- memory ---- */
/* 64-byte aligned host memory for a CPU context, device memory for a CUDA context; NULL on failure. */
void* vq4j_malloc(vq4j_ctx* ctx, size_t bytes);
int vq4j_free(vq4j_ctx* ctx, void* ptr);
/* kind: VQ4J_COPY_*; host pointers are ordinary host memory. Device-to-host copies are synchronous. On a
 * CUDA context a host-to-device copy returns as soon as src may be reused (the bytes are staged in pinned
 * memory, copies above 64 MiB excepted), and the device copy stays queued in stream order.
 * A device-to-host copy on a CUDA context is a synchronisation: see vq4j_sync. */
int vq4j_memcpy(vq4j_ctx* ctx, void* dst, const void* src, size_t bytes, int kind);
int vq4j_memset_zero(vq4j_ctx* ctx, void* ptr, size_t bytes);
/* Waits for the context's queued work. On a CUDA context the ops that take ids, codes or targets check
 * them on the device without waiting, so an index outside [0, k) is reported here (or by the next
 * device-to-host vq4j_memcpy), not by the op: VQ4J_ERR_ARGUMENT with the CPU's message, the op's name in
 * front ("vq4j_embedding_fwd: ids[500] = -1 is outside [0, 7) (found on the device, reported at this
 * synchronisation)"), for the first failed op since the last synchronisation. The failed op ran: the rows
 * with a bad index got zeros (or were left out of counts and sums).
 * A CPU context reports at the op, before writing anything. */
int vq4j_sync(vq4j_ctx* ctx);

/* ---- conv2d: y[n, oh, ow, co] = b[co] + sum x[n, oh*s - p + i, ow*s - p + j, ci] * w[co, i, j, ci]
 * with oh = (h + 2p - kh) / s + 1, ow = (w + 2p - kw) / s + 1. ---- */
int vq4j_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                    int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
/* dx[n, h, w, ci] from dy[n, oh, ow, co]. */
int vq4j_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx,
                         int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
/* dw[co, kh, kw, ci] and db[co] (db may be NULL) from x and dy. */
int vq4j_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                           int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);

/* ---- conv_transpose2d: the adjoint of conv2d. x[n, h, w, ci], w[ci, kh, kw, co], y[n, oh, ow, co] with
 * oh = (h - 1) * s - 2p + kh, ow = (w - 1) * s - 2p + kw; b[co] may be NULL. ---- */
int vq4j_conv_transpose2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                              int n, int h, int wd, int ci, int co, int kh, int kw, int stride, int pad);
int vq4j_conv_transpose2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx,
                                   int n, int h, int wd, int ci, int co, int kh, int kw, int stride,
                                   int pad);
int vq4j_conv_transpose2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw,
                                     float* db, int n, int h, int wd, int ci, int co, int kh, int kw,
                                     int stride, int pad);

/* ---- masked_conv2d: stride 1, "same" padding k / 2, odd k; only the taps the mask keeps are used, and
 * the gradient of a masked-out weight is 0. Shapes as conv2d with kh = kw = k. ---- */
int vq4j_masked_conv2d_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                           int n, int h, int wd, int ci, int co, int k, int mask);
int vq4j_masked_conv2d_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx,
                                int n, int h, int wd, int ci, int co, int k, int mask);
int vq4j_masked_conv2d_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db,
                                  int n, int h, int wd, int ci, int co, int k, int mask);

/* ---- masked_conv2d_direct: the forward of masked_conv2d without a matrix product, for callers that need an
 * output to depend on nothing but the inputs its taps read (the PixelCNN prior's sampling, whose cached fast
 * path must give the bits of a full forward pass). y = b (or 0), then for each kept tap in row-major order
 * and each input channel in order y = y + x * w, product and sum each rounded to float32 (no FMA); taps
 * outside the input read 0. So a crop of the input gives, bit for bit, the outputs of the whole input
 * wherever the crop holds every tap those outputs read, on any thread count, and the CUDA kernel gives the
 * CPU's bits. (masked_conv2d_fwd's BLAS product does not: a blocked GEMM's sums may depend on the matrix height.)
 * Shapes as masked_conv2d; k = 1 with VQ4J_MASK_B is a 1x1 conv. ---- */
int vq4j_masked_conv2d_direct_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y,
                                  int n, int h, int wd, int ci, int co, int k, int mask);

/* ---- elementwise over count floats; y may alias an input ---- */
int vq4j_relu_fwd(vq4j_ctx* ctx, const float* x, float* y, long long count);
/* dx = dy where y > 0, else 0 (y is the forward output). */
int vq4j_relu_bwd(vq4j_ctx* ctx, const float* y, const float* dy, float* dx, long long count);
/* y = a + b: the residual add (its backward passes dy to both inputs unchanged). */
int vq4j_add(vq4j_ctx* ctx, const float* a, const float* b, float* y, long long count);

/* ---- vq_quantize: rows = N*H*W latent vectors z_e[rows, d], codebook e[k, d]. ---- */
/* codes[r] = argmin_j ||z_e[r] - e[j]||^2 (ties to the lowest j), z_q[r] = e[codes[r]]. */
int vq4j_vq_quantize_fwd(vq4j_ctx* ctx, const float* z_e, const float* codebook, int* codes, float* z_q,
                         int rows, int d, int k);
/* loss[0] = mean over rows*d of (z_e - z_q)^2: the value of both the codebook and the commitment term. */
int vq4j_vq_loss(vq4j_ctx* ctx, const float* z_e, const float* z_q, float* loss, int rows, int d);
/* Gradients of recon(dec(z_q)) + codebook_weight * mean||sg[z_e] - e||^2 + beta * mean||z_e - sg[e]||^2:
 *   dz_e = dz_q (straight-through) + beta * 2 (z_e - z_q) / (rows*d);
 *   dcodebook[j] = codebook_weight * sum over rows r with codes[r] = j of 2 (z_q[r] - z_e[r]) / (rows*d).
 * dcodebook may be NULL (the EMA variant trains no codebook by gradient). Deterministic.
 * Here and in every later op that takes codes, ids or targets, they must lie in [0, k) (codes only with a
 * dcodebook here); on a CUDA context a violation is reported at the next synchronisation (see vq4j_sync). */
int vq4j_vq_quantize_bwd(vq4j_ctx* ctx, const float* z_e, const float* z_q, const int* codes,
                         const float* dz_q, float* dz_e, float* dcodebook, float beta,
                         float codebook_weight, int rows, int d, int k);
/* ---- vq_code_sums: a batch's per-code statistics, what data-parallel ranks all-reduce:
 *   counts[j] = number of rows with codes[r] = j;  with z_e[rows, d] (else NULL, and sums NULL too)
 *   sums[j] = sum of z_e[r] over those rows (in double, in row order, rounded once). ---- */
int vq4j_vq_code_sums(vq4j_ctx* ctx, const int* codes, const float* z_e, float* counts, float* sums, int rows,
                      int d, int k);
/* perplexity[0] = exp(-sum p_j ln p_j), p_j = counts[j] / sum of counts[k] (1 when all are 0). */
int vq4j_vq_stats(vq4j_ctx* ctx, const float* counts, float* perplexity, int k);

/* ---- vq_rotate_grad: the rotation trick (Fifty et al. 2024) in place of the straight-through copy. Per row
 * of z_e, z_q, dz_q [rows, d], with e = z_e/|z_e|, q = z_q/|z_q|, r = (e + q)/|e + q|, lambda = |z_q|/|z_e|,
 * the forward reads z_q as lambda R z_e with R = I - 2 r r^T + 2 q e^T held constant (detached), so
 *   dz_rot = lambda R^T dz_q = lambda (dz_q - 2 r (r.dz_q) + 2 e (q.dz_q)).
 * A row with z_e = 0 or z_q = 0 passes dz_q through; when e = -q (|e + q|^2 < 1e-12) r = 0. dz_rot may alias
 * dz_q. The commitment and codebook gradients stay vq4j_vq_quantize_bwd's, fed dz_rot. ---- */
int vq4j_vq_rotate_grad(vq4j_ctx* ctx, const float* z_e, const float* z_q, const float* dz_q, float* dz_rot,
                        int rows, int d);

/* ---- fsq: finite scalar quantization (Mentzer et al. 2023) of z[rows, d], d <= 16 channels, channel i
 * rounded to levels[i] >= 2 values (levels: host memory, d ints, their product < 2^31). Per channel, with
 * L = levels[i], half_l = (L - 1)(1 + 1e-3)/2, offset = 0.5 for even L else 0, shift = atanh(offset/half_l):
 *   bound(z) = tanh(z + shift) half_l - offset,  digit = round(bound(z)) + L/2 (half to even),
 *   z_q = (digit - L/2) / (L/2),  codes[r] = sum_i digit_i prod_{j<i} L_j. ---- */
int vq4j_fsq_fwd(vq4j_ctx* ctx, const float* z, const int* levels, int* codes, float* z_q, int rows, int d);
/* Straight through the rounding: dz = dz_q half_l (1 - tanh^2(z + shift)) / (L/2). dz may alias dz_q. */
int vq4j_fsq_bwd(vq4j_ctx* ctx, const float* z, const int* levels, const float* dz_q, float* dz, int rows, int d);

/* ---- l2_normalize: rows of x[rows, d] onto the unit sphere, for l2-normalised codes (ViT-VQGAN):
 *   y = x / max(|x|, 1e-12);  backward dx = (dy - y (y.dy)) / |x| (dy / 1e-12 where |x| <= 1e-12).
 * y may be x; dx may be dy. ---- */
int vq4j_l2_normalize_fwd(vq4j_ctx* ctx, const float* x, float* y, int rows, int d);
int vq4j_l2_normalize_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int d);

/* ---- vq_ema_update: EMA codebook (Sonnet VectorQuantizerEMA, no zero-debiasing) from a batch's
 * counts[k] and sums[k, d] (vq4j_vq_code_sums, all-reduced on data-parallel ranks):
 *   ema_count[j] = gamma ema_count[j] + (1 - gamma) counts[j];  ema_sum[j] = gamma ema_sum[j] + (1 - gamma) sums[j]
 *   codebook[j] = ema_sum[j] / ((ema_count[j] + eps) / (total + k eps) * total), total = sum ema_count.
 * ema_count keeps the unsmoothed counts. Deterministic. ---- */
int vq4j_vq_ema_update(vq4j_ctx* ctx, const float* counts, const float* sums, float* ema_count, float* ema_sum,
                       float* codebook, float gamma, float eps, int d, int k);

/* ---- vq_restart_candidates: the row each code restarts from if it dies this step. Code j's is row
 *   r_j = hash(key, j) in [0, total_rows) of the (global) batch (the same integer hash on every backend);
 * candidates[j] = z_e[r_j - first_row] when this caller holds that row (first_row <= r_j < first_row + rows),
 * else zeros, so that data-parallel ranks holding consecutive slices of the global batch all-reduce (sum)
 * their candidates into every code's. One process: first_row = 0, total_rows = rows. z_e[rows, d],
 * candidates[k, d]. ---- */
int vq4j_vq_restart_candidates(vq4j_ctx* ctx, const float* z_e, float* candidates, int rows, long long first_row,
                               long long total_rows, int d, int k, unsigned long long key);

/* ---- vq_dead_codes: dead-code tracking and restart (Jukebox), on the device so that a step never waits
 * for the host. usage[j] = decay usage[j] + (1 - decay) counts[j]; code j is dead when usage[j] < threshold;
 * dead[0] = the number of dead codes. With restart != 0 each dead code j takes its candidate
 * (vq4j_vq_restart_candidates): codebook[j] = candidates[j], usage[j] = 1, and, when given (EMA variant),
 * ema_count[j] = 1, ema_sum[j] = candidates[j]. restarted[j] = 1 for a restarted code, else 0 (for
 * adam_reset_rows). counts[k], usage[k], candidates[k, d] (may be NULL without restart), codebook[k, d],
 * ema_count[k] and ema_sum[k, d] (both NULL or both given), restarted[k], dead[1]. ---- */
int vq4j_vq_dead_codes(vq4j_ctx* ctx, const float* counts, float* usage, const float* candidates, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                       float threshold, int restart);

/* ---- gated_activation: x[rows, 2c] -> y[rows, c] = tanh(x[:, :c]) * sigmoid(x[:, c:]) ---- */
int vq4j_gated_activation_fwd(vq4j_ctx* ctx, const float* x, float* y, int rows, int c);
int vq4j_gated_activation_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, int rows, int c);

/* ---- losses ---- */
/* loss[0] = mean (pred - target)^2 over count values. */
int vq4j_mse_fwd(vq4j_ctx* ctx, const float* pred, const float* target, float* loss, long long count);
/* dpred = scale * 2 (pred - target) / count (scale: the upstream gradient of the loss). */
int vq4j_mse_bwd(vq4j_ctx* ctx, const float* pred, const float* target, float* dpred, float scale,
                 long long count);
/* logits[rows, k], targets[rows] in [0, k): loss[0] = mean over rows of -ln softmax(logits[r])[targets[r]];
 * nll[rows] (may be NULL) receives each row's term. */
int vq4j_softmax_xent_fwd(vq4j_ctx* ctx, const float* logits, const int* targets, float* loss, float* nll,
                          int rows, int k);
/* dlogits = scale * (softmax(logits) - onehot(targets)) / rows. */
int vq4j_softmax_xent_bwd(vq4j_ctx* ctx, const float* logits, const int* targets, float* dlogits,
                          float scale, int rows, int k);

/* ---- embedding: table[k, d], ids[rows] in [0, k) -> y[rows, d] = table[ids[r]] ---- */
int vq4j_embedding_fwd(vq4j_ctx* ctx, const float* table, const int* ids, float* y, int rows, int d, int k);
/* dtable[j] = sum over rows with ids[r] = j of dy[r]; deterministic. */
int vq4j_embedding_bwd(vq4j_ctx* ctx, const int* ids, const float* dy, float* dtable, int rows, int d,
                       int k);

/* ---- adam: one step of PyTorch's Adam (L2 weight decay added to the gradient), step t >= 1; with
 * decoupled != 0 AdamW's step (torch.optim.AdamW): param *= 1 - lr * weight_decay, the gradient untouched ---- */
int vq4j_adam_step(vq4j_ctx* ctx, float* param, const float* grad, float* m, float* v, long long count,
                   double lr, double beta1, double beta2, double eps, double weight_decay, int t, int decoupled);
/* m = v = 0 in the rows r of the [rows, width] moments where mask[r] != 0 (a restarted codebook row). */
int vq4j_adam_reset_rows(vq4j_ctx* ctx, float* m, float* v, const int* mask, int rows, int width);

/* ---- layer_norm over the last dimension: x[rows, c] -> y = (x - mean) rstd gamma + beta with the row's mean
 * and rstd = 1 / sqrt(biased variance + eps), both [rows], written for the backward. ---- */
int vq4j_layer_norm_fwd(vq4j_ctx* ctx, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* rstd, int rows, int c, float eps);
/* dx[rows, c], dgamma[c], dbeta[c] from x, gamma, the forward's mean and rstd, and dy[rows, c]. */
int vq4j_layer_norm_bwd(vq4j_ctx* ctx, const float* x, const float* gamma, const float* mean, const float* rstd,
                        const float* dy, float* dx, float* dgamma, float* dbeta, int rows, int c);

/* ---- gelu, tanh approximation (PyTorch's approximate="tanh"): y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 * over count floats; y may alias x ---- */
int vq4j_gelu_fwd(vq4j_ctx* ctx, const float* x, float* y, long long count);
int vq4j_gelu_bwd(vq4j_ctx* ctx, const float* x, const float* dy, float* dx, long long count);

/* ---- linear: y[rows, out] = x[rows, in] w[out, in]^T + b[out] (b may be NULL) ---- */
int vq4j_linear_fwd(vq4j_ctx* ctx, const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out);
/* dx[rows, in] = dy[rows, out] w. */
int vq4j_linear_bwd_data(vq4j_ctx* ctx, const float* dy, const float* w, float* dx, int rows, int in, int out);
/* dw[out, in] = dy^T x and db[out] = column sums of dy (db may be NULL). */
int vq4j_linear_bwd_weight(vq4j_ctx* ctx, const float* x, const float* dy, float* dw, float* db, int rows,
                           int in, int out);

/* ---- causal_attention: multi-head scaled dot-product attention, heads side by side in C = heads * dh.
 * q[batch, tq, C]; k, v[batch, kv_rows, C] whose first tk rows are used (a key/value cache may be longer);
 * query i stands at position tk - tq + i and attends to keys 0 .. that position (tq <= tk <= kv_rows).
 * y[batch, tq, C]; lse[batch, heads, tq] = log-sum-exp of each softmax, for the backward. Masked keys get
 * weight exactly 0. The CUDA kernel is fused (online softmax) and writes no tq x tk scores; it takes
 * dh <= 128. ---- */
int vq4j_causal_attention_fwd(vq4j_ctx* ctx, const float* q, const float* k, const float* v, float* y,
                              float* lse, int batch, int tq, int tk, int kv_rows, int heads, int dh);
/* dq, dk, dv[batch, t, C] from q, k, v, y, lse (the forward with tq = tk = kv_rows = t) and dy[batch, t, C]. */
int vq4j_causal_attention_bwd(vq4j_ctx* ctx, const float* q, const float* k, const float* v, const float* y,
                              const float* lse, const float* dy, float* dq, float* dk, float* dv, int batch,
                              int t, int heads, int dh);

/* ---- dropout: y = x / (1 - p) where kept, else 0; element i is kept when the hash of (key, i) is >= p as a
 * uniform in [0, 1), the same on every backend. The backward is this call on dy with the same key.
 * x, y[count], y may alias x; 0 <= p < 1. ---- */
int vq4j_dropout(vq4j_ctx* ctx, const float* x, float* y, long long count, float p, unsigned long long key);

/* ---- communicator: data-parallel collectives across processes (and machines) ----
 * One communicator per rank over one context: Gloo (TCP) for a CPU context, on host buffers; NCCL for a
 * CUDA context, on device buffers, queued on the context's stream and waited for. Both backends are opened
 * at run time (libvq4j_gloo.so beside this library, which needs the package libgloo0; libnccl.so.2), so this
 * library loads without them; a missing one makes vq4j_comm_init fail with VQ4J_ERR_UNSUPPORTED saying
 * what to install. rendezvous: "file:///dir" (a fresh directory on a filesystem every rank sees) or
 * "tcp://host:port" (MASTER_ADDR:MASTER_PORT; rank 0 serves it). Every rank must call every collective
 * in the same order with the same sizes. Every call is bounded by timeout_ms: a rank that dies, stalls or
 * was started with another world size makes the others fail with VQ4J_ERR_COMM, and
 * vq4j_comm_last_error names this rank and the operation ("rank 1 of 2: all_reduce: ..."). After an
 * error the communicator is unusable: destroy it. */
typedef struct vq4j_comm vq4j_comm;
#define VQ4J_REDUCE_SUM 0
#define VQ4J_REDUCE_AVERAGE 1
/* Never NULL unless the host is out of memory; check vq4j_comm_status. 0 <= rank < world_size. */
vq4j_comm* vq4j_comm_init(vq4j_ctx* ctx, int rank, int world_size, const char* rendezvous, int timeout_ms);
int vq4j_comm_status(const vq4j_comm* comm);
const char* vq4j_comm_last_error(const vq4j_comm* comm);
/* In place: data[count] = the sum (or the average) of every rank's data. */
int vq4j_comm_all_reduce(vq4j_comm* comm, float* data, long long count, int op);
/* The all-reduce above, started so that it overlaps the work queued after it (a gradient bucket's, while the
 * backward goes on): on a CUDA context it is queued on the communicator's own stream, after everything queued
 * on the context's stream so far (an event), and the call returns at once; data must then be left alone until
 * vq4j_comm_wait. On a CPU context it runs at once, as vq4j_comm_all_reduce. */
int vq4j_comm_all_reduce_start(vq4j_comm* comm, float* data, long long count, int op);
/* One all-reduce of two kinds of values (a gradient bucket with statistics appended): data[0, averaged)
 * becomes the ranks' average, data[averaged, count) their sum. On Gloo one collective (each costs a fixed
 * latency); on NCCL two calls queued back to back. The _start twin overlaps as vq4j_comm_all_reduce_start. */
int vq4j_comm_all_reduce_mixed(vq4j_comm* comm, float* data, long long count, long long averaged);
int vq4j_comm_all_reduce_mixed_start(vq4j_comm* comm, float* data, long long count, long long averaged);
/* Orders the context's stream after every all-reduce started so far and waits for them, within the timeout
 * (the other collectives do so first). Returns at once when none was started, and on a CPU context. */
int vq4j_comm_wait(vq4j_comm* comm);
/* In place: every rank's data[bytes] = root's. */
int vq4j_comm_broadcast(vq4j_comm* comm, void* data, long long bytes, int root);
/* recv[world_size * bytes_per_rank] = the ranks' send[bytes_per_rank], in rank order. */
int vq4j_comm_all_gather(vq4j_comm* comm, const void* send, void* recv, long long bytes_per_rank);
/* Returns when every rank has called it (after the context's queued work on a CUDA context). */
int vq4j_comm_barrier(vq4j_comm* comm);
void vq4j_comm_destroy(vq4j_comm* comm);

#ifdef __cplusplus
}
#endif

#endif /* VQ4J_H */
