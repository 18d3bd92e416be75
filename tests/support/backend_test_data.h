// The layout of the ONNX backend test suite (Debian's libonnx-testdata), for
// the tools that walk it: its folders, the numbered test_data_set_N /
// input_N.pb / output_N.pb entries of a test, and reading a set's inputs.
#pragma once

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "engine/core/value.h"
#include "engine/io/file_bytes.h"
#include "engine/ir/graph.h"
#include "engine/onnx/tensor_proto.h"

namespace kiln::testing {

inline constexpr const char* kBackendTestFolders[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

// Whether the suite's folder `dir` exists; if not, says on stderr (as `tool`)
// how to install it.
inline bool HaveBackendTestData(const std::string& dir, const char* tool) {
  if (std::filesystem::is_directory(dir)) return true;
  std::cerr << tool << ": test data folder '" << dir
            << "' is missing; install Debian's libonnx-testdata (apt-get install libonnx-testdata)\n";
  return false;
}

// The bytes of a file; empty when it cannot be read.
inline std::string ReadFileOrEmpty(const std::filesystem::path& p) {
  auto bytes = io::ReadFileBytes(p.string());
  return bytes.ok() ? *bytes : std::string();
}

// The entries of `dir` named `prefix` + number (+ extension), in numeric order.
inline std::vector<std::filesystem::path> NumberedEntries(const std::filesystem::path& dir,
                                                          const std::string& prefix) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  }
  auto number = [](const std::filesystem::path& p) {
    const std::string s = p.stem().string();
    return std::stoll(s.substr(s.find_last_of('_') + 1));
  };
  std::sort(out.begin(), out.end(),
            [&](const std::filesystem::path& a, const std::filesystem::path& b) { return number(a) < number(b); });
  return out;
}

// Parses the input_N.pb files of the test_data_set folder `set` as the
// graph's runtime inputs `infos` (files beyond them are ignored) into
// `values`. Returns "" on success, else "input N: <why>".
inline std::string ReadTestInputs(const std::filesystem::path& set, const std::vector<const ir::ValueInfo*>& infos,
                                  std::vector<Value>& values) {
  const auto files = NumberedEntries(set, "input_");
  for (size_t i = 0; i < files.size() && i < infos.size(); ++i) {
    auto v = onnx_import::ParseValue(ReadFileOrEmpty(files[i]), infos[i]->type);
    if (!v.ok()) return "input " + std::to_string(i) + ": " + v.status().ToString();
    values.push_back(std::move(v).value());
  }
  return "";
}

}  // namespace kiln::testing
