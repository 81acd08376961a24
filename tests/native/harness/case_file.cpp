#include "case_file.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace harness {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

double number(const std::string& where, const std::string& key, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') bad(where, key + "=" + text + " is not a number");
  return v;
}

}  // namespace

long long Case::i(const std::string& key) const {
  const double v = d(key);
  if (v != static_cast<double>(static_cast<long long>(v)))
    bad("line " + std::to_string(line), key + " must be an integer");
  return static_cast<long long>(v);
}

double Case::d(const std::string& key) const {
  auto it = params.find(key);
  if (it == params.end()) bad("line " + std::to_string(line), family + " needs " + key + "=");
  return number("line " + std::to_string(line), key, it->second);
}

std::string Case::s(const std::string& key, const std::string& fallback) const {
  auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

double Case::d_or(const std::string& name, double fallback) const {
  return params.count(name) == 0 ? fallback : d(name);
}

std::string Case::name() const {
  std::string n = family;
  for (const auto& [k, v] : params) n += " " + k + "=" + v;
  return n;
}

unsigned long long Case::seed() const {
  unsigned long long h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name()) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

CaseFile read_case_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the case file");
  CaseFile file;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    const std::string where = path + ":" + std::to_string(line);
    const size_t hash = text.find('#');
    if (hash != std::string::npos) text.resize(hash);
    std::istringstream words(text);
    std::string kind, family, word;
    if (!(words >> kind)) continue;
    if (!(words >> family)) bad(where, kind + " without a family");
    std::map<std::string, std::string> params;
    while (words >> word) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos || eq == 0) bad(where, "'" + word + "' is not name=value");
      if (!params.emplace(word.substr(0, eq), word.substr(eq + 1)).second)
        bad(where, word.substr(0, eq) + " given twice");
    }
    if (kind == "tolerance") {
      Tolerance t;
      for (const auto& [k, v] : params) {
        const double x = number(where, k, v);
        if (x < 0) bad(where, k + " must be >= 0");
        if (k == "nmse") t.nmse = x;
        else if (k == "grad") t.grad = x;
        else if (k == "nmse_tf32") t.nmse_tf32 = x;
        else bad(where, "unknown tolerance " + k + " (nmse, grad, nmse_tf32)");
      }
      if (t.nmse < 0) bad(where, "a tolerance line needs nmse=");
      if (!file.tolerances.emplace(family, t).second) bad(where, "second tolerance line for " + family);
    } else if (kind == "case") {
      file.cases.push_back(Case{family, params, line});
    } else {
      bad(where, "unknown line kind '" + kind + "' (tolerance, case)");
    }
  }
  std::map<std::string, int> first_line;
  for (const Case& c : file.cases) {
    if (file.tolerances.count(c.family) == 0)
      bad(path + ":" + std::to_string(c.line), "no tolerance line for " + c.family);
    const auto [at, fresh] = first_line.emplace(c.name(), c.line);
    if (!fresh)
      bad(path + ":" + std::to_string(c.line), "the same case as line " + std::to_string(at->second) +
                                                  " (its inputs come from its text: a copy tests nothing new)");
  }
  return file;
}

}  // namespace harness
