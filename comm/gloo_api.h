// The C ABI between libvq4j.so and libvq4j_gloo.so. The Gloo backend lives in its own library, opened with
// dlopen on first use, so that libvq4j.so (and the jar) loads on a host without Gloo installed; a C table of
// functions keeps C++ types (and exceptions) from crossing the boundary. Every function returns 0 or
// writes "what failed" into error[error_bytes] and returns non-zero.
#ifndef VQ4J_COMM_GLOO_API_H
#define VQ4J_COMM_GLOO_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VQ4J_GLOO_API_VERSION 1

typedef struct vq4j_gloo vq4j_gloo;

typedef struct vq4j_gloo_api {
  int version;
  /* Rendezvous (file:///dir or tcp://host:port), world-size check, full TCP mesh. NULL on failure. */
  vq4j_gloo* (*create)(int rank, int world_size, const char* rendezvous, int timeout_ms, char* error,
                       size_t error_bytes);
  int (*all_reduce_sum)(vq4j_gloo* g, float* data, size_t count, char* error, size_t error_bytes);
  int (*broadcast)(vq4j_gloo* g, void* data, size_t bytes, int root, char* error, size_t error_bytes);
  int (*all_gather)(vq4j_gloo* g, const void* send, void* recv, size_t bytes_per_rank, char* error,
                    size_t error_bytes);
  int (*barrier)(vq4j_gloo* g, char* error, size_t error_bytes);
  /* The rendezvous store itself, for what must travel before another backend exists (NCCL's id). */
  int (*store_set)(vq4j_gloo* g, const char* key, const void* data, size_t bytes, char* error,
                   size_t error_bytes);
  /* Waits (within the timeout) for key, which must hold exactly bytes. */
  int (*store_get)(vq4j_gloo* g, const char* key, void* data, size_t bytes, char* error,
                   size_t error_bytes);
  void (*destroy)(vq4j_gloo* g);
} vq4j_gloo_api;

/* The one symbol libvq4j.so looks up in libvq4j_gloo.so. */
const vq4j_gloo_api* vq4j_gloo_api_get(void);

#ifdef __cplusplus
}
#endif

#endif
