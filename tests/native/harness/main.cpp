// The op harness (after ggml's test-backend-ops): every case of tests/ops/cases.txt on every backend this
// build can open, compared with the CPU reference through the C API.
//
//   op_harness [--mode=correctness|grad|perf] [--cases=FILE] [--backend=NAME]... [--filter=TEXT]
//              [--other-devices=first|all] [--family-times]
//
// correctness: each case's ops on the reference ("cpu"), then on every other backend; each output within
//   its family's nmse of the reference's, the family's invariant on every backend, and a second run on the
//   same backend bit-identical to the first (every sum is deterministic).
// grad: the backward ops against central differences of the forward ops, on every backend (cases whose
//   checked input has at most kGradMaxElements elements).
// perf: seconds per run of each case's ops, copies included, per backend. Figures, not checks.
//
// A backend is a context configuration: "cpu" (the reference kernels), "cpu-fast" (the default CPU
// context's fast paths), and "cuda:<id>" for each CUDA device the library sees (in the emulated build,
// tests/emu, the CPU-emulated devices). Exit status 0 when every check passed.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "case_file.h"
#include "op_families.h"

#ifdef VQ4J_EMU
#include <cuda_runtime.h>  // the emulator of tests/emu: its launch counters
#endif

#ifndef VQ4J_CASE_FILE
#define VQ4J_CASE_FILE "tests/ops/cases.txt"
#endif

namespace {

using namespace harness;

constexpr size_t kGradMaxElements = 4096;
constexpr int kGradSamples = 6;

struct Backend {
  std::string name;
  std::function<vq4j_ctx*()> open;
  bool gpu;  // a CUDA device (real or emulated): kernels other than the CPU reference's
};

// A CPU context on the hand-written reference kernels (reference = 1) or on the fast paths (0).
vq4j_ctx* cpu_context(int reference) {
  vq4j_ctx* ctx = vq4j_ctx_create(-1);
  if (ctx != nullptr && vq4j_ctx_set_option(ctx, VQ4J_OPT_CPU_REFERENCE, reference) != VQ4J_OK) {
    vq4j_ctx_destroy(ctx);
    return nullptr;
  }
  return ctx;
}

std::vector<Backend> all_backends() {
  // The reference first: every other backend is compared with it. Each fast CPU path is one more entry: a
  // name and the context configuration that selects it.
  std::vector<Backend> list = {
      {"cpu", [] { return cpu_context(1); }, false},
      {"cpu-fast", [] { return cpu_context(0); }, false},  // oneDNN convolutions, vectorised loops
  };
  const int devices = vq4j_cuda_device_count();
  for (int d = 0; d < devices; ++d)
    list.push_back({"cuda:" + std::to_string(d), [d] { return vq4j_ctx_create(d); }, true});
  return list;
}

int passed = 0, failed = 0, skipped = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s\n", what.c_str());
  }
}

// sum (got - want)^2 / max(sum want^2, count); NaN anywhere gives NaN, which no bound accepts.
double nmse(const Vec& want, const Vec& got) {
  if (want.size() != got.size()) return INFINITY;
  double err = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = static_cast<double>(got[i]) - want[i];
    err += e * e;
    norm += static_cast<double>(want[i]) * want[i];
    if (std::isnan(got[i]) || std::isnan(want[i])) return NAN;
  }
  return err / std::fmax(norm, static_cast<double>(want.size()));
}

bool tf32_on() {
  const char* env = std::getenv("VQ4J_CONV_TF32");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

// Runs the case on ctx; on the emulated device also checks that every launch went to the context's device.
std::string run_on(const Backend& b, vq4j_ctx* ctx, const Family& f, const Case& c, const Inputs& in,
                   Outputs* out) {
#ifdef VQ4J_EMU
  const long long launches = emu::launches, wrong = emu::wrong_device_launches;
#endif
  std::string error = f.run(ctx, c, in, out);
#ifdef VQ4J_EMU
  if (b.gpu && error.empty()) {
    if (emu::wrong_device_launches != wrong)
      error = std::to_string(emu::wrong_device_launches - wrong) + " launch(es) on another device than " + b.name;
    else if (emu::launches == launches)
      error = "no kernel launched on " + b.name;
  }
#else
  (void)b;
#endif
  return error;
}

void correctness(const std::vector<Backend>& backends, std::vector<vq4j_ctx*>& ctxs, const Family& f,
                 const Case& c, const Tolerance& tol, const Inputs& in) {
  const std::string name = c.name();
  Outputs want;
  for (size_t bi = 0; bi < backends.size(); ++bi) {
    const Backend& b = backends[bi];
    Outputs got, again;
    const std::string error = run_on(b, ctxs[bi], f, c, in, &got);
    check(error.empty(), name + " on " + b.name + ": " + error);
    if (!error.empty()) continue;
    if (f.invariant != nullptr) {
      const std::string broken = f.invariant(c, got);
      check(broken.empty(), name + " on " + b.name + ": " + broken);
    }
    const std::string error2 = run_on(b, ctxs[bi], f, c, in, &again);
    bool same = error2.empty() && again.size() == got.size();
    for (const auto& [output, values] : got)
      same = same && std::memcmp(values.data(), again.at(output).data(), sizeof(float) * values.size()) == 0;
    check(same, name + " on " + b.name + ": a second run differs " + error2);
    if (bi == 0) {
      want = got;
      continue;
    }
    for (const auto& [output, values] : want) {
      bool loose = tf32_on() && tol.nmse_tf32 >= 0;
      for (const std::string& t : f.tf32_outputs) loose = loose && t == output;
      const double bound = loose ? tol.nmse_tf32 : tol.nmse;
      const double e = nmse(values, got.at(output));
      char what[96];
      std::snprintf(what, sizeof what, ": %s nmse %.3g > %.3g", output.c_str(), e, bound);
      check(e <= bound, name + " on " + b.name + what);
    }
  }
}

double weighted_sum(const Vec& out, const Vec& seed) {
  double s = 0;
  for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * seed[i];
  return s;
}

void gradients(const std::vector<Backend>& backends, std::vector<vq4j_ctx*>& ctxs, const Family& f,
               const Case& c, const Tolerance& tol, const Inputs& in) {
  for (const GradCheck& g : f.grads) {
    const Vec& x = in.f.at(g.input);
    // fd_step=0: no step measures this case's gradient (see cases.txt); its backward is still compared with
    // the CPU reference's in correctness mode.
    if (x.size() > kGradMaxElements || c.d_or("fd_step", 1e-2) == 0) {
      ++skipped;
      continue;
    }
    for (size_t bi = 0; bi < backends.size(); ++bi) {
      Outputs base;
      const std::string what = c.name() + " on " + backends[bi].name + ": d" + g.output + "/d" + g.input;
      std::string error = run_on(backends[bi], ctxs[bi], f, c, in, &base);
      if (!error.empty()) {
        check(false, what + ": " + error);
        continue;
      }
      const Vec& analytic = base.at(g.grad);
      double rms = 0;
      for (float v : analytic) rms += static_cast<double>(v) * v;
      rms = std::sqrt(rms / std::fmax(1.0, analytic.size()));
      double worst = 0;
      for (int sample = 0; sample < kGradSamples && error.empty(); ++sample) {
        const size_t i = x.size() * (2 * sample + 1) / (2 * kGradSamples);
        // Dropped taps (NaN) have no gradient; a point next to relu's kink has two.
        if (std::isnan(x[i]) || (g.input == "x" && c.family == "elementwise" && std::fabs(x[i]) < 0.02f)) continue;
        // The step actually taken in float (x = 500 moves by a rounded 1e-2) is the one divided by.
        const float h = static_cast<float>(c.d_or("fd_step", 1e-2));
        const float up = x[i] + h, down = x[i] - h;
        double side[2];
        for (int k = 0; k < 2 && error.empty(); ++k) {
          Inputs moved = in;
          moved.f[g.input][i] = k == 0 ? up : down;
          Outputs o;
          error = run_on(backends[bi], ctxs[bi], f, c, moved, &o);
          if (error.empty()) side[k] = weighted_sum(o.at(g.output), in.f.at(g.seed));
        }
        if (!error.empty()) break;
        const double numeric = (side[0] - side[1]) / (static_cast<double>(up) - down);
        // The floor covers gradients that are zero everywhere (a mask keeping no tap, one class).
        const double err = std::fabs(numeric - analytic[i]) / std::fmax(std::fmax(std::fabs(analytic[i]), rms), 1e-6);
        if (!(err <= worst)) worst = err;
      }
      char detail[96];
      std::snprintf(detail, sizeof detail, ": relative error %.3g > %.3g", worst, tol.grad);
      check(error.empty() && worst <= tol.grad, what + (error.empty() ? detail : ": " + error));
    }
  }
}

void perf(const std::vector<Backend>& backends, std::vector<vq4j_ctx*>& ctxs, const Family& f, const Case& c,
          const Inputs& in) {
  std::printf("%-70s", c.name().c_str());
  for (size_t bi = 0; bi < backends.size(); ++bi) {
    using clock = std::chrono::steady_clock;
    int runs = 0;
    const auto start = clock::now();
    double secs = 0;
    while (runs < 20 && secs < 0.2) {
      Outputs o;
      if (!run_on(backends[bi], ctxs[bi], f, c, in, &o).empty()) break;
      ++runs;
      secs = std::chrono::duration<double>(clock::now() - start).count();
    }
    std::printf("  %s %10.3f ms", backends[bi].name.c_str(), runs ? secs / runs * 1e3 : NAN);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "correctness", cases_path = VQ4J_CASE_FILE, filter;
  std::vector<std::string> wanted;
  // The CUDA devices after the first check that every op selects its context's device, which one case of
  // each family shows ("first"); "all" runs every case on every device. On the emulated devices, where each
  // case costs seconds, "first" is the default.
#ifdef VQ4J_EMU
  std::string other_devices = "first";
#else
  std::string other_devices = "all";
#endif
  bool family_times = false;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg.rfind("--mode=", 0) == 0) mode = arg.substr(7);
    else if (arg.rfind("--cases=", 0) == 0) cases_path = arg.substr(8);
    else if (arg.rfind("--backend=", 0) == 0) wanted.push_back(arg.substr(10));
    else if (arg.rfind("--filter=", 0) == 0) filter = arg.substr(9);
    else if (arg.rfind("--other-devices=", 0) == 0) other_devices = arg.substr(16);
    else if (arg == "--family-times") family_times = true;
    else {
      std::fprintf(stderr, "op_harness: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (other_devices != "first" && other_devices != "all") {
    std::fprintf(stderr, "op_harness: --other-devices must be first or all, not %s\n", other_devices.c_str());
    return 2;
  }
  if (mode != "correctness" && mode != "grad" && mode != "perf") {
    std::fprintf(stderr, "op_harness: --mode must be correctness, grad or perf, not %s\n", mode.c_str());
    return 2;
  }
  CaseFile file;
  try {
    file = read_case_file(cases_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "op_harness: %s\n", e.what());
    return 2;
  }
  // The reference comes first whatever --backend says: every other backend is compared with it.
  std::vector<Backend> backends;
  for (const Backend& b : all_backends()) {
    bool take = wanted.empty() || b.name == "cpu";
    for (const std::string& w : wanted) take = take || w == b.name;
    if (take) backends.push_back(b);
  }
  bool real_gpu = false;
  std::vector<vq4j_ctx*> ctxs;
  std::string names;
  for (const Backend& b : backends) {
    vq4j_ctx* ctx = b.open();
    if (ctx == nullptr || vq4j_ctx_status(ctx) != VQ4J_OK) {
      std::printf("op_harness: cannot open %s: %s\n", b.name.c_str(), ctx ? vq4j_last_error(ctx) : "out of memory");
      return 1;
    }
    ctxs.push_back(ctx);
    names += " " + b.name;
#ifndef VQ4J_EMU
    real_gpu = real_gpu || b.gpu;
#endif
  }
  std::printf("op_harness: mode %s, %zu cases from %s, backends:%s%s\n", mode.c_str(), file.cases.size(),
              cases_path.c_str(), names.c_str(), tf32_on() ? " (conv fprop TF32)" : "");
  int gpus = 0;
  for (const Backend& b : backends) gpus += b.gpu;
  if (vq4j_cuda_built() && gpus < 2)
    std::printf("op_harness: SKIPPED the two-context check (every op on two CUDA device ids): %d CUDA backend(s)\n",
                gpus);

  std::set<std::string> seen_on_other_devices;
  std::map<std::string, double> seconds;
  for (const Case& c : file.cases) {
    if (!filter.empty() && c.name().find(filter) == std::string::npos) continue;
    if (c.s("tier", "") == "gpu" && !real_gpu) {
      ++skipped;
      continue;
    }
    const auto fam = families().find(c.family);
    if (fam == families().end()) {
      check(false, cases_path + ":" + std::to_string(c.line) + ": unknown family " + c.family);
      continue;
    }
    // This case's backends: all but the CUDA devices after the first, unless they run every case or have not
    // yet run this family.
    const bool others = other_devices == "all" || seen_on_other_devices.insert(c.family).second;
    std::vector<Backend> on;
    std::vector<vq4j_ctx*> on_ctxs;
    bool first_gpu = true;
    for (size_t bi = 0; bi < backends.size(); ++bi) {
      if (backends[bi].gpu && !first_gpu && !others) continue;
      first_gpu = first_gpu && !backends[bi].gpu;
      on.push_back(backends[bi]);
      on_ctxs.push_back(ctxs[bi]);
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      const Inputs in = fam->second.inputs(c, c.seed());
      const Tolerance& tol = file.tolerances.at(c.family);
      if (mode == "correctness") correctness(on, on_ctxs, fam->second, c, tol, in);
      else if (mode == "grad") gradients(on, on_ctxs, fam->second, c, tol, in);
      else perf(on, on_ctxs, fam->second, c, in);
    } catch (const std::exception& e) {
      check(false, cases_path + ":" + std::to_string(c.line) + ": " + e.what());
    }
    seconds[c.family] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (family_times)
    for (const auto& [family, secs] : seconds) std::printf("op_harness: %-18s %8.1f s\n", family.c_str(), secs);
  for (vq4j_ctx* ctx : ctxs) vq4j_ctx_destroy(ctx);
  std::printf("op_harness: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
