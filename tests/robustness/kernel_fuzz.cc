// Feeds hostile input values to every model of the ONNX backend test suite
// (Debian's libonnx-testdata) and checks that Kiln never crashes, hangs or
// runs out of memory: a run may fail with any error Status, nothing worse.
//
//   kiln_kernel_fuzz [--data DIR] [--filter SUBSTR] [--known FILE] [--timeout SECONDS]
//                    [--max-variants N] [--memory-limit-gib N] [--verbose]
//
// For each model the first test_data_set's inputs are the starting point. A
// variant keeps every input's dtype and shape (so the session's feed check
// passes) and overwrites the values of one input: integer extremes, -1, 0 and
// large values; NaN, infinities, 0 and 1e30 for floats; for 1-D int64 inputs
// (shapes, axes, pads, repeats, k, indices) also negated, scaled and huge
// elements and values whose sum wraps around. One more variant sets the
// signed integer inputs to lowest / -1. At most --max-variants (16) per
// model, interleaved over the inputs. Each model is loaded once in a child process, and each variant
// runs in a grandchild with a time limit and an address-space limit (so a
// huge allocation shows up as std::bad_alloc, which the executor turns into
// ResourceExhausted). --known names model inputs whose failures are
// understood and accepted (lines "<folder>/<test> <input name>  # why"), for
// example a Loop trip count: the model really asks for 2^62 iterations.
// Their variants still run, with a 2 s limit, so a crash still shows.
// Exit status: 0 when no variant crashed or hung except known ones.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/runtime/session.h"
#include "tests/support/backend_test_data.h"
#include "tests/support/child_process.h"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

struct Options {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string filter;
  std::string known;
  int timeout_s = 10;
  size_t max_variants = 16;
  size_t memory_limit_gib = 1;
  bool verbose = false;
};

// (model, input name) pairs whose failures are accepted.
using KnownFailures = std::set<std::pair<std::string, std::string>>;

KnownFailures LoadKnownFailures(const std::string& path) {
  KnownFailures out;
  if (path.empty()) return out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line.substr(0, line.find('#')));
    std::string model, input;
    if (ss >> model >> input) out.insert({model, input});
  }
  return out;
}

// One hostile change to the inputs.
struct Variant {
  std::string input_name;   // the (first) input it changes, for --known
  std::string description;  // "input 1 ('k') = max"
  std::function<void(std::vector<Value>&)> apply;  // rewrites the feeds (a private copy)
};

// Replaces feeds[i] by a rewritten deep copy.
void Rewrite(std::vector<Value>& feeds, size_t i, const std::function<void(Tensor&)>& f) {
  Tensor copy = feeds[i].tensor().Clone();
  f(copy);
  feeds[i] = Value(copy);
}

template <typename T>
void FillAll(Tensor& t, T value) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = value;
}

// Calls f(TypeTag<T>{}) for the numeric dtypes the fuzzer rewrites; false otherwise.
template <typename F>
bool WithNumericType(DataType dt, F&& f) {
  switch (dt) {
    case DataType::kFloat: f(TypeTag<float>{}); return true;
    case DataType::kDouble: f(TypeTag<double>{}); return true;
    case DataType::kFloat16: f(TypeTag<Float16>{}); return true;
    case DataType::kBFloat16: f(TypeTag<BFloat16>{}); return true;
    case DataType::kInt8: f(TypeTag<int8_t>{}); return true;
    case DataType::kInt16: f(TypeTag<int16_t>{}); return true;
    case DataType::kInt32: f(TypeTag<int32_t>{}); return true;
    case DataType::kInt64: f(TypeTag<int64_t>{}); return true;
    case DataType::kUInt8: f(TypeTag<uint8_t>{}); return true;
    case DataType::kUInt16: f(TypeTag<uint16_t>{}); return true;
    case DataType::kUInt32: f(TypeTag<uint32_t>{}); return true;
    case DataType::kUInt64: f(TypeTag<uint64_t>{}); return true;
    case DataType::kBool: f(TypeTag<bool>{}); return true;
    default: return false;
  }
}

// The hostile rewrites for one input, most telling first.
std::vector<std::pair<std::string, std::function<void(Tensor&)>>> HostileValues(const Tensor& t) {
  std::vector<std::pair<std::string, std::function<void(Tensor&)>>> out;
  if (t.num_elements() == 0) return out;
  WithNumericType(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto all = [&](std::string name, T value) {
      out.emplace_back(std::move(name), [value](Tensor& x) { FillAll<T>(x, value); });
    };
    if constexpr (std::is_same_v<T, bool>) {
      all("all true", true);
      all("all false", false);
    } else if constexpr (std::is_integral_v<T>) {
      using L = std::numeric_limits<T>;
      all("max", L::max());
      if (t.dtype() == DataType::kInt64 && t.rank() == 1 && t.num_elements() >= 3) {
        // Non-negative values whose int64 sum wraps around to the original sum
        // (split sizes, for example).
        out.emplace_back("x0 = x1 = max, x2 = sum + 2, rest 0", [](Tensor& x) {
          int64_t* p = x.data<int64_t>();
          uint64_t sum = 0;
          for (int64_t i = 0; i < x.num_elements(); ++i) sum += static_cast<uint64_t>(p[i]);
          std::fill_n(p, x.num_elements(), 0);
          p[0] = p[1] = std::numeric_limits<int64_t>::max();
          p[2] = static_cast<int64_t>(sum + 2);
        });
      }
      if constexpr (std::is_signed_v<T>) {
        all("min", L::min());
        all("-1", T(-1));
      }
      all("0", T(0));
      all("large (max/2+1)", static_cast<T>(L::max() / 2 + 1));
      if (t.dtype() == DataType::kInt64 && t.rank() == 1) {
        out.emplace_back("each x -> -x-1", [](Tensor& x) {
          for (int64_t i = 0; i < x.num_elements(); ++i) x.data<int64_t>()[i] = -x.data<int64_t>()[i] - 1;
        });
        out.emplace_back("each x -> x*1000", [](Tensor& x) {
          for (int64_t i = 0; i < x.num_elements(); ++i) x.data<int64_t>()[i] *= 1000;
        });
        out.emplace_back("first = 2^40", [](Tensor& x) { x.data<int64_t>()[0] = int64_t{1} << 40; });
        out.emplace_back("first = -2^40", [](Tensor& x) { x.data<int64_t>()[0] = -(int64_t{1} << 40); });
        out.emplace_back("last = 2^31", [](Tensor& x) { x.data<int64_t>()[x.num_elements() - 1] = int64_t{1} << 31; });
      }
    } else {
      all("NaN", T(std::numeric_limits<float>::quiet_NaN()));
      all("+inf", T(std::numeric_limits<float>::infinity()));
      all("-inf", T(-std::numeric_limits<float>::infinity()));
      all("0", T(0.0f));
      all("1e30", T(1e30f));
      all("-1e30", T(-1e30f));
    }
  });
  return out;
}

// Variants for all inputs, interleaved (first value of every input, then the
// second...) so that a cap keeps some of each input. With two or more signed
// integer inputs, first a combination: the lowest value in the first and -1
// in the others (lowest / -1 overflows).
std::vector<Variant> MakeVariants(const std::vector<const ir::ValueInfo*>& infos, const std::vector<Value>& feeds,
                                  size_t cap) {
  std::vector<Variant> out;
  std::vector<size_t> signed_inputs;
  for (size_t i = 0; i < feeds.size(); ++i) {
    if (feeds[i].is_tensor() && feeds[i].tensor().num_elements() > 0 && IsSignedInteger(feeds[i].tensor().dtype()))
      signed_inputs.push_back(i);
  }
  if (signed_inputs.size() >= 2 && cap > 0) {
    out.push_back({infos[signed_inputs[0]]->name,
                   "input " + std::to_string(signed_inputs[0]) + " = min, other integer inputs = -1",
                   [signed_inputs](std::vector<Value>& f) {
                     for (size_t i : signed_inputs) {
                       const bool lowest = i == signed_inputs[0];
                       Rewrite(f, i, [&](Tensor& t) {
                         WithNumericType(t.dtype(), [&](auto tag) {
                           using T = typename decltype(tag)::type;
                           if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
                             FillAll<T>(t, lowest ? std::numeric_limits<T>::min() : T(-1));
                         });
                       });
                     }
                   }});
  }
  std::vector<std::vector<Variant>> per_input;
  for (size_t i = 0; i < feeds.size(); ++i) {
    if (!feeds[i].is_tensor()) continue;
    std::vector<Variant> vs;
    for (auto& [name, apply] : HostileValues(feeds[i].tensor())) {
      vs.push_back({infos[i]->name, "input " + std::to_string(i) + " ('" + infos[i]->name + "') = " + name,
                    [i, apply = std::move(apply)](std::vector<Value>& f) { Rewrite(f, i, apply); }});
    }
    per_input.push_back(std::move(vs));
  }
  for (size_t k = 0; out.size() < cap; ++k) {
    bool any = false;
    for (auto& vs : per_input) {
      if (k < vs.size() && out.size() < cap) {
        out.push_back(std::move(vs[k]));
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

// Line protocol from the model child: "<P or F>\t<input name>\t<variant>\t<status or why>",
// or "S\t\t\t<why>" for a model that cannot be fuzzed.
std::string FuzzModel(const fs::path& dir, const std::string& name, const KnownFailures& known,
                      const Options& opt) {
  auto session = Session::Create((dir / "model.onnx").string());
  // Not loadable: nothing to fuzz (the conformance run reports why).
  if (!session.ok()) return "S\t\t\t" + session.status().ToString().substr(0, 200) + "\n";
  auto infos = (*session)->model().graph.RuntimeInputs();
  auto sets = testing::NumberedEntries(dir, "test_data_set_");
  if (sets.empty()) return "S\t\t\tno test data\n";
  std::vector<Value> base;
  if (std::string why = testing::ReadTestInputs(sets[0], infos, base); !why.empty()) return "S\t\t\t" + why + "\n";
  std::ostringstream report;
  for (const Variant& variant : MakeVariants(infos, base, opt.max_variants)) {
    testing::ChildLimits limits;
    limits.timeout_s = known.count({name, variant.input_name}) ? std::min(opt.timeout_s, 2) : opt.timeout_s;
    limits.address_space_bytes = opt.memory_limit_gib << 30;
    auto outcome = testing::RunInChild(
        [&] {
          std::vector<Value> values = base;
          variant.apply(values);
          std::map<std::string, Value> feeds;
          for (size_t i = 0; i < values.size(); ++i) feeds[infos[i]->name] = values[i];
          auto outputs = (*session)->Run(feeds);
          return outputs.ok() ? std::string("OK") : outputs.status().ToString();
        },
        limits);
    std::string why = outcome.Describe(limits);
    why = why.substr(0, why.find('\n')).substr(0, 300);
    report << (outcome.finished() ? "P\t" : "F\t") << variant.input_name << "\t" << variant.description << "\t" << why << "\n";
  }
  return report.str();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--data") opt.data = next();
    else if (a == "--filter") opt.filter = next();
    else if (a == "--known") opt.known = next();
    else if (a == "--timeout") opt.timeout_s = std::stoi(next());
    else if (a == "--max-variants") opt.max_variants = std::stoul(next());
    else if (a == "--memory-limit-gib") opt.memory_limit_gib = std::stoul(next());
    else if (a == "--verbose" || a == "-v") opt.verbose = true;
    else {
      std::cerr << "usage: kiln_kernel_fuzz [--data DIR] [--filter SUBSTR] [--known FILE] [--timeout SECONDS]"
                   " [--max-variants N] [--memory-limit-gib N] [--verbose]\n";
      return 2;
    }
  }
  if (!testing::HaveBackendTestData(opt.data, "kiln_kernel_fuzz")) return 1;

  const auto known = LoadKnownFailures(opt.known);
  auto start = std::chrono::steady_clock::now();
  int passed = 0, failed = 0, known_failed = 0, models = 0, skipped = 0;
  std::map<std::string, int> status_counts;  // how the passing runs ended
  std::vector<std::string> failures, known_failures;
  for (const char* folder : testing::kBackendTestFolders) {
    fs::path root = fs::path(opt.data) / folder;
    if (!fs::is_directory(root)) continue;
    std::vector<fs::path> tests;
    for (const auto& e : fs::directory_iterator(root)) tests.push_back(e.path());
    std::sort(tests.begin(), tests.end());
    for (const auto& t : tests) {
      std::string name = std::string(folder) + "/" + t.filename().string();
      if (!opt.filter.empty() && name.find(opt.filter) == std::string::npos) continue;
      testing::ChildLimits model_limits;
      model_limits.timeout_s = 60 + static_cast<int>(opt.max_variants) * (opt.timeout_s + 1);
      auto outcome = testing::RunInChild([&] { return FuzzModel(t, name, known, opt); }, model_limits);
      if (!outcome.finished()) {
        ++failed;
        failures.push_back(name + "  (loading)  " + outcome.Describe(model_limits));
        continue;
      }
      if (outcome.report.rfind("S\t", 0) == 0) {
        ++skipped;
        if (opt.verbose) std::cout << "skip " << name << "  " << outcome.report.substr(4);
        continue;
      }
      ++models;
      std::istringstream lines(outcome.report);
      std::string line;
      while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::istringstream ss(line);
        for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
        if (fields.size() != 4) continue;
        const std::string& variant = fields[2];
        const std::string& why = fields[3];
        if (fields[0] == "P") {
          ++passed;
          ++status_counts[why.substr(0, why.find(':'))];
          if (opt.verbose) std::cout << "ok   " << name << "  " << variant << "  " << why << "\n";
        } else if (known.count({name, fields[1]})) {
          ++known_failed;
          known_failures.push_back(name + "  " + variant + "  " + why);
        } else {
          ++failed;
          failures.push_back(name + "  " + variant + "  " + why);
          if (opt.verbose) std::cout << "FAIL " << name << "  " << variant << "  " << why << "\n";
        }
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << "\nKernel robustness (" << opt.data << "): " << models << " models fuzzed (" << skipped
            << " not loadable or without inputs), " << opt.timeout_s
            << " s and " << opt.memory_limit_gib << " GiB per run, " << static_cast<int>(seconds) << " s\n";
  std::cout << "  runs that returned:";
  for (const auto& [code, n] : status_counts) std::cout << " " << code << " " << n << ";";
  std::cout << "\n";
  if (!known_failures.empty()) {
    std::cout << "Known and accepted (" << opt.known << "):\n";
    for (const auto& f : known_failures) std::cout << "  " << f << "\n";
  }
  if (!failures.empty()) {
    std::cout << "Crashes and hangs:\n";
    for (const auto& f : failures) std::cout << "  " << f << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (known_failed > 0) std::cout << " (and " << known_failed << " known failures)";
  std::cout << "\n";
  return failed == 0 ? 0 : 1;
}
