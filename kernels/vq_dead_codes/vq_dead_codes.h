// Dead-code tracking and restart (Jukebox): a code's usage is an exponential moving average of how many
// rows chose it per step; a code whose usage falls under the threshold is dead, and with restart on it
// takes its restart candidate (vq_restart_candidates: a pseudo-random row of the batch, or of the global
// batch on data-parallel ranks) and, for the EMA variant, fresh statistics N = 1, m = e. On the device, so
// that a training step never waits for the host.
//
// Shapes: counts[k] (this step's uses of each code), usage[k] (in/out), candidates[k, d] (read only with
// restart on; may be NULL without), codebook[k, d] (in/out), ema_count[k] and ema_sum[k, d] (in/out, both
// NULL for the loss-trained codebook), restarted[k] (out: 1 for a restarted code, else 0), dead[1] (out:
// dead codes before the restart, as a float so that it can sit in a float metrics row). The _cpu and _cuda
// variants share one signature; the C API has validated every argument.
#ifndef VQ4J_KERNELS_VQ_DEAD_CODES_H
#define VQ4J_KERNELS_VQ_DEAD_CODES_H

#include "context.h"

namespace vq4j {

int vq_dead_codes_cpu(vq4j_ctx* ctx, const float* counts, float* usage, const float* candidates, float* codebook,
                      float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                      float threshold, int restart);
int vq_dead_codes_cuda(vq4j_ctx* ctx, const float* counts, float* usage, const float* candidates, float* codebook,
                       float* ema_count, float* ema_sum, int* restarted, float* dead, int d, int k, double decay,
                       float threshold, int restart);

}  // namespace vq4j

#endif
