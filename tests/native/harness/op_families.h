// The op families of the case file: for each, how a case's inputs are drawn, which C API ops run on a
// context, which outputs they give, and which of them the finite-difference mode checks.
#ifndef VQ4J_TESTS_OP_FAMILIES_H
#define VQ4J_TESTS_OP_FAMILIES_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "case_file.h"
#include "vq4j.h"

namespace harness {

using Vec = std::vector<float>;
using IVec = std::vector<int>;

// Host inputs of one case, drawn once from its seed and handed to every backend.
struct Inputs {
  std::map<std::string, Vec> f;
  std::map<std::string, IVec> i;
};

// Outputs read back from a backend by name; integer outputs (codes, masks) as floats.
using Outputs = std::map<std::string, Vec>;

// d/d input of sum(output * seed), by central differences of the ops, against grad: what the backward op
// computes from seed given as the output gradient.
struct GradCheck {
  std::string input, output, seed, grad;
};

struct Family {
  Inputs (*inputs)(const Case& c, uint64_t seed);
  // Runs every op of the family on ctx; "" or the first failure ("vq4j_<op>: <message>").
  std::string (*run)(vq4j_ctx* ctx, const Case& c, const Inputs& in, Outputs* out);
  std::vector<GradCheck> grads;
  // The outputs of the TF32 conv fprop, held to nmse_tf32 when VQ4J_CONV_TF32=1.
  std::vector<std::string> tf32_outputs;
  // A property every backend's outputs must have beyond matching the reference; "" when it holds.
  std::string (*invariant)(const Case& c, const Outputs& out) = nullptr;
};

// Every family by its case-file name.
const std::map<std::string, Family>& families();

}  // namespace harness

#endif
