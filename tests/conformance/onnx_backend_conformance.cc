// Runs the ONNX backend test suite (Debian's libonnx-testdata) through Kiln
// and ratchets the pass count per folder against a checked-in baseline.
//
//   kiln_conformance [--data DIR] [--filter SUBSTR] [--baseline FILE]
//                    [--exclusions FILE] [--write-baseline] [--verbose]
//
// Each test runs in a forked child with a time limit, so a crash or a hang
// in one operator counts as that test's failure and the run goes on.
// Exit status: 0 when every folder meets its baseline, 1 otherwise.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/onnx/tensor_proto.h"
#include "engine/runtime/session.h"
#include "tests/support/backend_test_data.h"
#include "tests/support/child_process.h"
#include "tests/support/value_compare.h"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

// A random-number test: only dtype, shape and the value range are checked.
struct RangeCheck {
  double lo = 0, hi = 0;
};

struct Options {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string filter;
  std::string baseline;
  std::string exclusions;
  bool write_baseline = false;
  bool verbose = false;
  int timeout_s = 120;
};

std::map<std::string, RangeCheck> LoadExclusions(const std::string& path) {
  std::map<std::string, RangeCheck> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream ss(line);
    std::string name, kind;
    RangeCheck r;
    if (ss >> name >> kind >> r.lo >> r.hi && kind == "range") out[name] = r;
  }
  return out;
}

// Runs one test case; returns "" on pass, else the reason.
std::string RunTest(const fs::path& dir, const RangeCheck* range) {
  auto session = Session::Create((dir / "model.onnx").string());
  if (!session.ok()) return "load: " + session.status().ToString();
  const auto& graph = (*session)->model().graph;
  auto inputs = graph.RuntimeInputs();
  for (const auto& set : testing::NumberedEntries(dir, "test_data_set_")) {
    std::vector<Value> values;
    if (std::string why = testing::ReadTestInputs(set, inputs, values); !why.empty()) return why;
    std::map<std::string, Value> feeds;
    for (size_t i = 0; i < values.size(); ++i) feeds[inputs[i]->name] = std::move(values[i]);
    // Twice: the first run of a shape records the memory plan, the second
    // runs with it (planned arena, in-place outputs); both must match.
    for (int pass = 0; pass < 2; ++pass) {
      auto outputs = (*session)->Run(feeds);
      if (!outputs.ok()) return std::string(pass ? "planned run: " : "run: ") + outputs.status().ToString();
      auto output_files = testing::NumberedEntries(set, "output_");
      if (output_files.size() != outputs->size()) {
        return "expected " + std::to_string(output_files.size()) + " outputs, got " + std::to_string(outputs->size());
      }
      for (size_t i = 0; i < output_files.size(); ++i) {
        auto expected = onnx_import::ParseValue(testing::ReadFileOrEmpty(output_files[i]), graph.outputs[i].type);
        if (!expected.ok()) return "expected output " + std::to_string(i) + ": " + expected.status().ToString();
        std::string diff;
        const Value& actual = (*outputs)[i];
        if (range && expected->is_tensor() && actual.is_tensor()) {
          const Tensor& a = actual.tensor();
          const Tensor& e = expected->tensor();
          if (a.dtype() != e.dtype() || a.shape() != e.shape()) diff = testing::CompareTensors(a, e);
          else diff = testing::CheckRange(a, range->lo, range->hi);
        } else {
          diff = testing::CompareValues(actual, *expected);
        }
        if (!diff.empty()) return std::string(pass ? "planned run: " : "") + set.filename().string() + " output " + std::to_string(i) + " ('" + graph.outputs[i].name + "'): " + diff;
      }
    }
  }
  return "";
}

// Runs the test in a forked child and returns its verdict ("" on pass).
std::string RunIsolated(const fs::path& dir, const RangeCheck* range, int timeout_s) {
  testing::ChildLimits limits;
  limits.timeout_s = timeout_s;
  testing::ChildOutcome outcome = testing::RunInChild([&] { return RunTest(dir, range); }, limits);
  if (outcome.finished() && outcome.report.empty()) return "";
  std::string verdict = outcome.Describe(limits);
  return verdict.empty() ? "child exited without a verdict" : verdict;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data") opt.data = next();
    else if (a == "--filter") opt.filter = next();
    else if (a == "--baseline") opt.baseline = next();
    else if (a == "--exclusions") opt.exclusions = next();
    else if (a == "--write-baseline") opt.write_baseline = true;
    else if (a == "--verbose" || a == "-v") opt.verbose = true;
    else if (a == "--timeout") opt.timeout_s = std::stoi(next());
    else {
      std::cerr << "usage: kiln_conformance [--data DIR] [--filter SUBSTR] [--baseline FILE] [--exclusions FILE]"
                   " [--write-baseline] [--verbose] [--timeout SECONDS]\n";
      return 2;
    }
  }
  if (!testing::HaveBackendTestData(opt.data, "kiln_conformance")) return 1;
  auto ranges = LoadExclusions(opt.exclusions);
  std::map<std::string, int> baseline;
  if (!opt.baseline.empty() && !opt.write_baseline) {
    std::ifstream in(opt.baseline);
    std::string folder;
    int count;
    while (in >> folder >> count) baseline[folder] = count;
  }

  std::map<std::string, std::pair<int, int>> counts;  // folder -> (passed, total)
  for (const char* folder : testing::kBackendTestFolders) {
    fs::path root = fs::path(opt.data) / folder;
    if (!fs::is_directory(root)) continue;
    std::vector<fs::path> tests;
    for (const auto& e : fs::directory_iterator(root)) tests.push_back(e.path());
    std::sort(tests.begin(), tests.end());
    for (const auto& t : tests) {
      std::string name = t.filename().string();
      if (!opt.filter.empty() && name.find(opt.filter) == std::string::npos) continue;
      auto it = ranges.find(name);
      std::string verdict = RunIsolated(t, it == ranges.end() ? nullptr : &it->second, opt.timeout_s);
      auto& c = counts[folder];
      ++c.second;
      if (verdict.empty()) ++c.first;
      if (opt.verbose) {
        std::string first_line = verdict.substr(0, verdict.find('\n'));
        std::cout << (verdict.empty() ? "PASS " : "FAIL ") << folder << "/" << name
                  << (verdict.empty() ? "" : "  " + first_line.substr(0, 300)) << "\n";
      }
    }
  }

  bool ok = true;
  int passed = 0, total = 0;
  std::cout << "\nONNX backend conformance (" << opt.data << ")\n";
  for (const auto& [folder, c] : counts) {
    passed += c.first;
    total += c.second;
    auto b = baseline.find(folder);
    std::string note;
    if (b != baseline.end() && opt.filter.empty()) {
      if (c.first < b->second) {
        ok = false;
        note = "  BELOW BASELINE " + std::to_string(b->second);
      } else if (c.first > b->second) {
        note = "  (baseline " + std::to_string(b->second) + ": raise it with --write-baseline)";
      }
    }
    std::cout << "  " << folder << ": " << c.first << "/" << c.second << note << "\n";
  }
  std::cout << "  total: " << passed << "/" << total << "\n";
  if (opt.write_baseline && !opt.baseline.empty() && opt.filter.empty()) {
    std::ofstream out(opt.baseline);
    for (const auto& [folder, c] : counts) out << folder << " " << c.first << "\n";
    std::cout << "baseline written to " << opt.baseline << "\n";
  }
  return ok ? 0 : 1;
}
