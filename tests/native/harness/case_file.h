// The op case list (tests/ops/cases.txt): tolerance lines and case lines, parsed once for the runner.
#ifndef VQ4J_TESTS_CASE_FILE_H
#define VQ4J_TESTS_CASE_FILE_H

#include <map>
#include <string>
#include <vector>

namespace harness {

// One case line: its family, its name=value parameters and where it came from (for messages).
struct Case {
  std::string family;
  std::map<std::string, std::string> params;
  int line = 0;

  // The parameter as a number; a missing or malformed one throws std::runtime_error naming the line.
  long long i(const std::string& name) const;
  double d(const std::string& name) const;
  // The parameter, or fallback when the line does not set it.
  std::string s(const std::string& name, const std::string& fallback) const;
  double d_or(const std::string& name, double fallback) const;
  // "conv2d n=2 h=7 ..." as written (parameters in name order).
  std::string name() const;
  // The seed of the case's random inputs: FNV-1a 64 of name(), so that moving a case, or editing the lines
  // around it, never changes its inputs (the file rejects a second identical case).
  unsigned long long seed() const;
};

// A family's bounds (see the file's header): nmse against the CPU reference, the finite-difference
// gradient bound (negative: no gradient check), and the TF32 conv fprop's nmse.
struct Tolerance {
  double nmse = -1;
  double grad = -1;
  double nmse_tf32 = -1;
};

struct CaseFile {
  std::vector<Case> cases;
  std::map<std::string, Tolerance> tolerances;
};

// Reads path; any malformed line, unknown key or case without a tolerance line throws std::runtime_error
// with "path:line: what".
CaseFile read_case_file(const std::string& path);

}  // namespace harness

#endif
