#include "side_stream.h"

#include "cuda_check.cuh"

namespace vq4j {

cudaError_t side_stream_open(const vq4j_ctx* ctx, SideStream* s) {
  *s = SideStream{};
  cudaError_t err = cudaSetDevice(ctx->device);
  if (err == cudaSuccess) err = cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking);
  if (err == cudaSuccess) err = cudaEventCreateWithFlags(&s->forked, cudaEventDisableTiming);
  if (err == cudaSuccess) err = cudaEventCreateWithFlags(&s->joined, cudaEventDisableTiming);
  if (err != cudaSuccess) side_stream_close(s);
  return err;
}

cudaError_t side_stream_fork(const vq4j_ctx* ctx, SideStream* s) {
  cudaError_t err = cudaEventRecord(s->forked, stream_of(ctx));
  return err != cudaSuccess ? err : cudaStreamWaitEvent(s->stream, s->forked, 0);
}

cudaError_t side_stream_join(const vq4j_ctx* ctx, SideStream* s) {
  cudaError_t err = cudaEventRecord(s->joined, s->stream);
  return err != cudaSuccess ? err : cudaStreamWaitEvent(stream_of(ctx), s->joined, 0);
}

cudaError_t side_stream_joined(const SideStream* s) { return cudaEventQuery(s->joined); }

void side_stream_close(SideStream* s) {
  if (s->stream != nullptr) {
    cudaStreamSynchronize(s->stream);
    cudaStreamDestroy(s->stream);
  }
  if (s->forked != nullptr) cudaEventDestroy(s->forked);
  if (s->joined != nullptr) cudaEventDestroy(s->joined);
  *s = SideStream{};
}

}  // namespace vq4j
