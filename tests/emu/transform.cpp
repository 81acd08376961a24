// tests/emu: rewrites, in place, every kernel<<<cfg>>>(args) of the given .cu/.cuh files into
// emu::launch(emu::Config(cfg), [=] { kernel(args); }) and every extern __shared__ T name[]; into
// T* name = emu::dynamic_shared<T>(); so that they compile as C++ against this folder's cuda_runtime.h.
// C++ rather than a script so that the emulated check needs nothing beyond the build's own g++.
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>

namespace {

std::string transform(std::string src) {
  src = std::regex_replace(src, std::regex(R"(extern __shared__ (\w+) (\w+)\[\];)"),
                           "$1* $2 = emu::dynamic_shared<$1>();");
  std::string out;
  size_t i = 0;
  for (;;) {
    const size_t j = src.find("<<<", i);
    if (j == std::string::npos) {
      out += src.substr(i);
      return out;
    }
    // The kernel's name: back over the identifier and its template arguments.
    size_t k = j;
    int depth = 0;
    while (k > 0) {
      const char ch = src[k - 1];
      if (ch == '>') ++depth;
      else if (ch == '<') --depth;
      else if (depth == 0 && !(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == ':')) break;
      --k;
    }
    const size_t e = src.find(">>>", j);
    if (e == std::string::npos || src[e + 3] != '(') {  // <<< in a comment
      const size_t stop = e == std::string::npos ? src.size() : e + 3;
      out += src.substr(i, stop - i);
      i = stop;
      continue;
    }
    size_t p = e + 4;
    for (int open = 1; open > 0; ++p) {
      if (src[p] == '(') ++open;
      else if (src[p] == ')') --open;
    }
    out += src.substr(i, k - i);
    out += "emu::launch(emu::Config(" + src.substr(j + 3, e - j - 3) + "), [=] { " + src.substr(k, j - k) + "(" +
           src.substr(e + 4, p - 1 - (e + 4)) + "); })";
    i = p;
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    std::ifstream in(argv[a]);
    if (!in) {
      std::cerr << "transform: cannot read " << argv[a] << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    std::ofstream(argv[a]) << transform(text.str());
  }
  return 0;
}
