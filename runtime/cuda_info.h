// The CUDA driver, runtime and device properties that `vq4j info` reports (runtime/cuda_info.cu); absent in
// a CPU-only build. None of them needs a context.
#ifndef VQ4J_RUNTIME_CUDA_INFO_H
#define VQ4J_RUNTIME_CUDA_INFO_H

namespace vq4j {
// 1000 * major + 10 * minor; 0 without a driver.
int cuda_driver_version();
// The runtime this library was compiled against, same encoding.
int cuda_runtime_version();
// VQ4J_OK, VQ4J_ERR_ARGUMENT for a device that is not there, VQ4J_ERR_CUDA when the runtime fails.
int cuda_device_info(int device, char* name, int name_capacity, long long* total_bytes, int* cc_major,
                     int* cc_minor);
}  // namespace vq4j

#endif
