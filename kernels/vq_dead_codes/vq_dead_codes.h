// Dead-code tracking and restart (Jukebox): a code's usage is an exponential moving average of how many
// rows chose it per step; a code whose usage falls under the threshold is dead, and with restart on it
// takes a pseudo-random row of the current z_e (and, for the EMA variant, fresh statistics N = 1, m = e).
// On the device, so that a training step never waits for the host: the rows are drawn from a key the host
// passes by value, by the same integer hash on both backends, so CPU and CUDA restart the same codes to the
// same rows.
//
// Shapes: counts[k] (this step's uses of each code), usage[k] (in/out), z_e[rows, d], codebook[k, d]
// (in/out), ema_count[k] and ema_sum[k, d] (in/out, both NULL for the loss-trained codebook),
// restarted[k] (out: 1 for a restarted code, else 0), dead[1] (out: dead codes before the restart, as a
// float so that it can sit in a float metrics row). The _cpu and _cuda variants share one signature; the C
// API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_DEAD_CODES_H
#define VQ4J_KERNELS_VQ_DEAD_CODES_H

#include "context.h"
#include "counter_hash.h"

namespace vq4j {

// The row of z_e[rows] that dead code j takes under key: counter_hash(key, j) scaled to [0, rows) by a
// 32x32-bit multiply (no modulo bias worth naming for rows < 2^31).
#if defined(__CUDACC__)
__host__ __device__
#endif
inline int dead_code_row(unsigned long long key, int j, int rows) {
  const unsigned long long z = counter_hash(key, static_cast<unsigned long long>(j));
  return static_cast<int>(((z >> 32) * static_cast<unsigned long long>(rows)) >> 32);
}

int vq_dead_codes_cpu(vq4j_ctx* ctx, const float* counts, float* usage, const float* z_e, float* codebook,
                      float* ema_count, float* ema_sum, int* restarted, float* dead, int rows, int d, int k,
                      double decay, float threshold, int restart, unsigned long long key);
int vq_dead_codes_cuda(vq4j_ctx* ctx, const float* counts, float* usage, const float* z_e, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int rows, int d, int k,
                       double decay, float threshold, int restart, unsigned long long key);

}  // namespace vq4j

#endif
