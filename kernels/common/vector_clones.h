// VQ4J_VECTOR_CLONES: marks a CPU kernel whose loops GCC vectorises, so that it is compiled three times,
// for AVX-512 (x86-64-v4), AVX2 (x86-64-v3) and the baseline the library is built for (x86-64-v2), and the
// widest the CPU has is picked once at load time (GCC function multi-versioning: an ifunc resolver). The jar
// keeps running on an x86-64 without AVX2. The library is built with -ffp-contract=off, so no clone fuses a
// multiply and an add that another rounds twice: the three clones give the same bits.
#ifndef VQ4J_KERNELS_COMMON_VECTOR_CLONES_H
#define VQ4J_KERNELS_COMMON_VECTOR_CLONES_H

#define VQ4J_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

#endif
