// case_file.h: a case's inputs follow its text, not its place in the file; duplicates are refused.
#include "case_file.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
  if (!ok) ++failures;
}

harness::CaseFile parse(const std::string& text) {
  const std::string path = "case_file_test.txt";
  std::ofstream(path) << text;
  return harness::read_case_file(path);
}

}  // namespace

int main() {
  const harness::CaseFile a = parse("tolerance add nmse=0\ncase add count=7 x=1\ncase add count=9\n");
  const harness::CaseFile b = parse("# a comment\n\ntolerance add nmse=0\n# another\ncase add count=9\n"
                                    "case add   x=1 count=7   # moved, reordered, commented\n");
  check(a.cases[0].seed() == b.cases[1].seed() && a.cases[1].seed() == b.cases[0].seed(),
        "the same case at another line, its parameters in another order: the same seed");
  check(a.cases[0].line != b.cases[1].line, "(the lines do differ)");
  check(a.cases[0].seed() != a.cases[1].seed(), "different cases: different seeds");
  try {
    parse("tolerance add nmse=0\ncase add count=7\n\ncase add  count=7\n");
    check(false, "a duplicate case is refused");
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    check(m.find(":4:") != std::string::npos && m.find("same case as line 2") != std::string::npos,
          "a duplicate case is refused, naming both lines: " + m);
  }
  std::remove("case_file_test.txt");
  std::printf("%s\n", failures == 0 ? "case_file_test: all passed" : "case_file_test: FAILED");
  return failures == 0 ? 0 : 1;
}
