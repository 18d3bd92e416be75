// `kiln bench MODEL`: measures session creation and inference latency.
// Inputs are generated (random floats in [-1, 1), zeros for integers and
// bools, "a" for strings) unless given with --input; the first dynamic
// dimension of each input is the batch, other symbolic dimensions come from
// --dim NAME=VALUE (default 1).
#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <random>

#include "engine/io/value_files.h"
#include "engine/runtime/session.h"
#include "tools/kiln/bench_profile.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string model;
  SessionOptions session;
  int64_t batch = 1;
  int iterations = 100;
  int warmup = 10;
  std::vector<std::string> input_files;  // NAME=FILE.npy
  std::vector<std::string> dims;         // SYMBOL=VALUE
  bool json = false;
  int threads = 0;  // 0: every available core
  std::string precision = "fp32";
  bool no_memory_plan = false;  // allocate every tensor freshly (for comparisons)
  bool fixed_threads = false;   // never fall back to one thread
  int profile = 0;              // > 0: time every node, print the longest this many
};

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

Result<Tensor> MakeInput(const ir::ValueInfo& info, int64_t batch, const std::map<std::string, int64_t>& dims,
                         std::mt19937& rng) {
  if (info.type.kind != ir::TypeInfo::Kind::kTensor) {
    return Status::Unimplemented("input '" + info.name + "' is not a tensor; give it with --input");
  }
  Shape shape;
  bool batch_used = false;
  if (info.type.shape) {
    for (const auto& d : *info.type.shape) {
      if (d.is_fixed()) {
        shape.push_back(d.value);
      } else if (!d.symbol.empty() && dims.count(d.symbol)) {
        shape.push_back(dims.at(d.symbol));
      } else if (!batch_used) {
        shape.push_back(batch);
        batch_used = true;
      } else {
        shape.push_back(1);
      }
    }
  }
  Tensor t = Tensor::Allocate(info.type.elem_type, shape, /*zeroed=*/true);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Status filled = DispatchType<FloatTypes>(info.type.elem_type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<T>()[i] = static_cast<T>(uniform(rng));
  });
  if (info.type.elem_type == DataType::kString) {
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<std::string>()[i] = "a";
  } else if (!filled.ok() && DataTypeSize(info.type.elem_type) == 0) {
    return Status::Unimplemented("input '" + info.name + "' has data type " +
                                 std::string(DataTypeName(info.type.elem_type)) + "; give it with --input");
  }
  return t;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(rank);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

int Bench(const BenchArgs& args) {
  if (args.batch < 1 || args.iterations < 1 || args.warmup < 0) {
    return ReportError(Status::InvalidArgument("--batch and --iterations must be at least 1, --warmup at least 0"));
  }
  std::map<std::string, int64_t> dims;
  for (const auto& spec : args.dims) {
    size_t eq = spec.find('=');
    try {
      if (eq == std::string::npos) throw std::invalid_argument(spec);
      dims[spec.substr(0, eq)] = std::stoll(spec.substr(eq + 1));
    } catch (...) {
      return ReportError(Status::InvalidArgument("--dim expects SYMBOL=VALUE, got '" + spec + "'"));
    }
  }
  const bool progress = !args.json && isatty(STDERR_FILENO);
  if (progress) std::cerr << "loading " << args.model << " ..." << std::flush;
  auto load_start = Clock::now();
  SessionOptions options = args.session;
  options.threads = args.threads;
  options.precision = ToPrecision(args.precision);
  options.plan_memory = !args.no_memory_plan;
  options.adapt_threads = !args.fixed_threads;
  auto session = Session::Create(args.model, options);
  const double load_ms = Millis(Clock::now() - load_start);
  if (progress) std::cerr << "\r\033[K";
  if (!session.ok()) return ReportError(session.status());

  std::map<std::string, Value> feeds;
  for (const auto& spec : args.input_files) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) return ReportError(Status::InvalidArgument("--input expects NAME=FILE.npy, got '" + spec + "'"));
    auto v = io::ReadValueFromPath(spec.substr(eq + 1));
    if (!v.ok()) return ReportError(Status::InvalidArgument(v.status().message()));
    feeds[spec.substr(0, eq)] = std::move(v).value();
  }
  std::mt19937 rng(42);
  for (const auto* info : (*session)->model().graph.RuntimeInputs()) {
    if (feeds.count(info->name)) continue;
    auto t = MakeInput(*info, args.batch, dims, rng);
    if (!t.ok()) return ReportError(t.status());
    feeds[info->name] = std::move(t).value();
  }

  if (options.precision != Precision::kFloat32 && !args.json) {
    Status report = PrintPrecisionReport(args.model, options, **session, feeds, std::cout);
    if (!report.ok()) return ReportError(report);
  }

  std::optional<BenchProfile> profile;
  if (args.profile > 0) profile.emplace((*session)->ExecutionOrder());
  std::vector<double> step_micros;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(args.iterations));
  const int total = args.warmup + args.iterations;
  auto bench_start = Clock::now();
  uint64_t one_thread_runs_before = 0;
  for (int i = 0; i < total; ++i) {
    if (i == args.warmup) {
      bench_start = Clock::now();
      one_thread_runs_before = (*session)->one_thread_runs();
    }
    auto start = Clock::now();
    auto out = (*session)->Run(feeds, profile ? &step_micros : nullptr);
    double ms = Millis(Clock::now() - start);
    if (!out.ok()) return ReportError(out.status());
    if (i >= args.warmup) {
      latencies.push_back(ms);
      if (profile) profile->Add(step_micros);
    }
    if (progress && (i % 5 == 0 || i + 1 == total)) {
      std::cerr << "\r" << (i < args.warmup ? "warming up " : "measuring ") << (i + 1) << "/" << total << std::flush;
    }
  }
  const double wall_ms = Millis(Clock::now() - bench_start);
  if (progress) std::cerr << "\r\033[K";
  std::sort(latencies.begin(), latencies.end());
  const double throughput = static_cast<double>(args.batch) * static_cast<double>(args.iterations) / (wall_ms / 1000.0);
  const double rss = PeakRssMb();
  const int threads = (*session)->threads();
  const uint64_t one_thread_runs = (*session)->one_thread_runs() - one_thread_runs_before;

  std::cout << std::fixed << std::setprecision(3);
  if (args.json) {
    std::cout << "{\"model\": \"" << args.model << "\", \"load_ms\": " << load_ms << ", \"latency_ms\": {\"min\": "
              << latencies.front() << ", \"p50\": " << Percentile(latencies, 50) << ", \"p90\": "
              << Percentile(latencies, 90) << ", \"p99\": " << Percentile(latencies, 99) << ", \"max\": "
              << latencies.back() << "}, \"throughput\": " << throughput << ", \"peak_rss_mb\": " << rss
              << ", \"batch\": " << args.batch << ", \"threads\": " << threads
              << ", \"one_thread_runs\": " << one_thread_runs << ", \"precision\": \""
              << args.precision << "\""
              << ", \"iterations\": " << args.iterations;
    if (profile) std::cout << ", \"profile\": " << profile->Json();
    std::cout << "}\n";
  } else {
    std::cout << "model:       " << args.model << "\nbatch:       " << args.batch << "\nthreads:     " << threads;
    if (one_thread_runs > 0) {
      std::cout << " (" << one_thread_runs << " of " << args.iterations
                << " measured runs on one thread, which measured faster: a busy core, or work too small to "
                   "share; --fixed-threads keeps every run on "
                << threads << ")";
    }
    std::cout << "\nload:        " << load_ms
              << " ms\nlatency ms:  min " << latencies.front() << "  p50 " << Percentile(latencies, 50) << "  p90 "
              << Percentile(latencies, 90) << "  p99 " << Percentile(latencies, 99) << "  max " << latencies.back()
              << "\nthroughput:  " << std::setprecision(1) << throughput << " inferences/s\npeak RSS:    " << rss
              << " MiB\n";
    if (profile) profile->PrintTable(std::cout, static_cast<size_t>(args.profile));
  }
  return kExitOk;
}

}  // namespace

CommandRunner RegisterBenchCommand(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure load time, inference latency and throughput of a model");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  AddPassFlags(*cmd, args->session.optimize);
  cmd->add_option("--batch", args->batch, "Batch size used for the first dynamic dimension")->capture_default_str();
  cmd->add_option("--iterations", args->iterations, "Measured runs")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Unmeasured runs first")->capture_default_str();
  cmd->add_option("--input", args->input_files, "NAME=FILE.npy: use this input instead of generated data");
  cmd->add_option("--dim", args->dims, "SYMBOL=VALUE: size of a named dynamic dimension (e.g. sequence=128)");
  cmd->add_flag("--no-memory-plan", args->no_memory_plan,
                "Allocate every intermediate tensor freshly instead of from the planned arena");
  cmd->add_option("--threads", args->threads, "Threads per inference (0: every core available to the process)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_flag("--fixed-threads", args->fixed_threads,
                "Run every inference on --threads threads; by default a run uses one thread whenever that "
                "measured faster (e.g. while another process keeps a core busy)");
  AddPrecisionFlag(*cmd, args->precision);
  cmd->add_flag("--json", args->json, "Print one JSON object instead of a table");
  cmd->add_option("--profile", args->profile,
                  "Time every node of the optimized graph and list the N that take longest (median per measured "
                  "run) and the total per operator; with --json, every node. Add --fixed-threads for a steady "
                  "thread count")
      ->expected(0, 1)
      ->default_str("20")
      ->check(CLI::PositiveNumber);
  return [args] { return Bench(*args); };
}

}  // namespace kiln::tools
