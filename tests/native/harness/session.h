// Tensors of one case in a context's memory: uploads the inputs, pre-fills the outputs (NaN, so that an
// element an op leaves unwritten fails the comparison), records the first failing op, and reads every
// output back after one synchronisation.
#ifndef VQ4J_TESTS_SESSION_H
#define VQ4J_TESTS_SESSION_H

#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "op_families.h"

#ifdef VQ4J_EMU
#include <cuda_runtime.h>  // the emulator of tests/emu: to make another device current before an op
#endif

namespace harness {

class Session {
 public:
  explicit Session(vq4j_ctx* ctx) : ctx_(ctx) {}
  ~Session() {
    for (void* p : owned_) vq4j_free(ctx_, p);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const float* in(const Vec& v) { return upload(v); }
  const int* in(const IVec& v) { return upload(v); }
  float* out(const std::string& name, size_t n) {
    return inout(name, Vec(n, std::numeric_limits<float>::quiet_NaN()));
  }
  float* inout(const std::string& name, const Vec& init) {
    float* p = upload(init);
    reads_.push_back([this, name, p, n = init.size()](Outputs* o) { read(p, n, &(*o)[name]); });
    return p;
  }
  int* iout(const std::string& name, size_t n) { return iinout(name, IVec(n, -7)); }
  int* iinout(const std::string& name, const IVec& init) {
    int* p = upload(init);
    reads_.push_back([this, name, p, n = init.size()](Outputs* o) {
      IVec host(n);
      read(p, n, &host);
      (*o)[name].assign(host.begin(), host.end());
    });
    return p;
  }
  // Runs one op and records its failure. On the emulated device another device is made current first, so
  // that an op which does not select its context's device launches on the wrong one, which the emulator
  // counts (the harness's device check).
  template <class Op>
  void op(Op run) {
#ifdef VQ4J_EMU
    const int device = vq4j_ctx_device(ctx_);
    if (device >= 0) cudaSetDevice((device + 1) % emu::device_count);
#endif
    call(run());
  }

  // Records the first failure of the case's ops.
  void call(int status) {
    if (status != VQ4J_OK && error_.empty())
      error_ = "status " + std::to_string(status) + ": " + vq4j_last_error(ctx_);
  }
  // Synchronises and reads every output back; "" or the first failure.
  std::string finish(Outputs* out) {
    call(vq4j_sync(ctx_));
    if (error_.empty())
      for (auto& r : reads_) r(out);
    return error_;
  }

 private:
  template <class T>
  T* upload(const std::vector<T>& v) {
    void* p = vq4j_malloc(ctx_, sizeof(T) * v.size());
    if (p == nullptr) {
      call(VQ4J_ERR_MEMORY);
      return nullptr;
    }
    owned_.push_back(p);
    if (!v.empty()) call(vq4j_memcpy(ctx_, p, v.data(), sizeof(T) * v.size(), VQ4J_COPY_HOST_TO_DEVICE));
    return static_cast<T*>(p);
  }
  template <class T>
  void read(const T* p, size_t n, std::vector<T>* host) {
    host->resize(n);
    if (n > 0) call(vq4j_memcpy(ctx_, host->data(), p, sizeof(T) * n, VQ4J_COPY_DEVICE_TO_HOST));
  }

  vq4j_ctx* ctx_;
  std::vector<void*> owned_;
  std::vector<std::function<void(Outputs*)>> reads_;
  std::string error_;
};

}  // namespace harness

#endif
