// `kiln perf -m MODEL`: a load generator for a KServe v2 server (Kiln,
// Triton, ...) over HTTP/REST or gRPC, like Triton's perf_analyzer. For each
// step of --concurrency-range or --request-rate it prints throughput, client
// latency percentiles and the server's queue/compute split (read from the
// statistics extension at the edges of the measurement window).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "tools/kiln/commands.h"
#include "tools/perf/load_generator.h"
#include "tools/perf/perf_inputs.h"
#include "tools/perf/step_report.h"

namespace kiln::tools {
namespace {

struct PerfArgs {
  std::string model;
  std::string version;
  std::string url;
  std::string protocol = "http";
  std::string concurrency_range;
  std::string request_rate;
  int64_t batch_size = 1;
  double duration_s = 5;
  double warmup_s = 1;
  int rate_threads = 64;
  std::vector<std::string> input_files;  // NAME=FILE.npy
  std::vector<std::string> shapes;       // NAME=d0,d1,...
  bool json = false;
  bool async = false;  // gRPC steps from one thread (GrpcInferPipeline)
};

// "A", "A:B" or "A:B:STEP" (numbers); STEP defaults to 1 for concurrency.
Result<std::vector<double>> ParseRange(const std::string& text, const std::string& flag, double default_step) {
  std::vector<double> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ':')) {
    try {
      size_t used = 0;
      parts.push_back(std::stod(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (...) {
      return Status::InvalidArgument(flag + " expects START[:END[:STEP]], got '" + text + "'");
    }
  }
  if (parts.empty() || parts.size() > 3) return Status::InvalidArgument(flag + " expects START[:END[:STEP]], got '" + text + "'");
  const double start = parts[0];
  const double end = parts.size() > 1 ? parts[1] : start;
  const double step = parts.size() > 2 ? parts[2] : default_step;
  if (start <= 0 || end < start || step <= 0) {
    return Status::InvalidArgument(flag + " needs 0 < START <= END and STEP > 0, got '" + text + "'");
  }
  std::vector<double> values;
  for (double v = start; v <= end + 1e-9 && values.size() < 10000; v += step) values.push_back(v);
  return values;
}

Result<std::pair<std::string, std::string>> SplitAssignment(const std::string& spec, const std::string& flag) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    return Status::InvalidArgument(flag + " expects NAME=VALUE, got '" + spec + "'");
  }
  return std::make_pair(spec.substr(0, eq), spec.substr(eq + 1));
}

Result<perf::PerfInputOptions> InputOptions(const PerfArgs& args) {
  perf::PerfInputOptions options;
  options.batch_size = args.batch_size;
  for (const auto& spec : args.input_files) {
    KILN_ASSIGN_OR_RETURN(auto assignment, SplitAssignment(spec, "--input"));
    options.files[assignment.first] = assignment.second;
  }
  for (const auto& spec : args.shapes) {
    KILN_ASSIGN_OR_RETURN(auto assignment, SplitAssignment(spec, "--shape"));
    std::vector<int64_t> dims;
    std::stringstream stream(assignment.second);
    std::string dim;
    while (std::getline(stream, dim, ',')) {
      try {
        dims.push_back(std::stoll(dim));
      } catch (...) {
        return Status::InvalidArgument("--shape expects NAME=D0,D1,..., got '" + spec + "'");
      }
    }
    options.shapes[assignment.first] = dims;
  }
  return options;
}

int Perf(const PerfArgs& args) {
  if (args.protocol != "http" && args.protocol != "grpc") {
    return ReportError(Status::InvalidArgument("-i/--protocol must be http or grpc, got '" + args.protocol + "'"));
  }
  if (args.async && args.protocol != "grpc") return ReportError(Status::InvalidArgument("--async needs -i grpc"));
  if (!args.concurrency_range.empty() && !args.request_rate.empty()) {
    return ReportError(Status::InvalidArgument("give --concurrency-range or --request-rate, not both"));
  }
  if (args.duration_s <= 0 || args.warmup_s < 0) {
    return ReportError(Status::InvalidArgument("--duration must be positive and --warmup not negative"));
  }
  const bool rate_mode = !args.request_rate.empty();
  auto values = rate_mode ? ParseRange(args.request_rate, "--request-rate", 1)
                          : ParseRange(args.concurrency_range.empty() ? "1" : args.concurrency_range,
                                       "--concurrency-range", 1);
  if (!values.ok()) return ReportError(values.status());

  const server::ClientProtocol protocol =
      args.protocol == "grpc" ? server::ClientProtocol::kGrpc : server::ClientProtocol::kHttp;
  const std::string url = !args.url.empty() ? args.url : (protocol == server::ClientProtocol::kGrpc ? "localhost:8001"
                                                                                                    : "localhost:8000");
  perf::ClientFactory make_client = [protocol, url] { return server::InferenceClient::Create(protocol, url); };
  auto control = make_client();
  if (!control.ok()) return ReportError(control.status());
  auto metadata = (*control)->GetModelMetadata(args.model, args.version);
  if (!metadata.ok()) return ReportError(metadata.status().WithContext("model metadata of '" + args.model + "'"));
  auto input_options = InputOptions(args);
  if (!input_options.ok()) return ReportError(input_options.status());
  auto inputs = perf::MakePerfInputs(*metadata, *input_options);
  if (!inputs.ok()) return ReportError(inputs.status());
  // One request first: a setup problem shows as one clear error, not a table of failures.
  auto probe = (*control)->Infer(args.model, args.version, *inputs);
  if (!probe.ok()) return ReportError(probe.status().WithContext("test inference on '" + args.model + "'"));

  perf::LoadSettings settings;
  settings.model = args.model;
  settings.version = args.version;
  settings.inputs = std::move(inputs).value();
  settings.warmup = std::chrono::milliseconds(static_cast<int64_t>(args.warmup_s * 1000));
  settings.window = std::chrono::milliseconds(static_cast<int64_t>(args.duration_s * 1000));
  settings.rate_threads = args.rate_threads;
  if (args.async) {
    settings.make_pipeline = [url](int connections) { return server::GrpcInferPipeline::Create(url, connections); };
  }
  Result<std::vector<server::ModelStatisticsSnapshot>> before = Status::Unavailable("not read");
  Result<std::vector<server::ModelStatisticsSnapshot>> after = Status::Unavailable("not read");
  settings.on_window_start = [&] { before = (*control)->GetModelStatistics(args.model, args.version); };
  settings.on_window_end = [&] { after = (*control)->GetModelStatistics(args.model, args.version); };

  const bool progress = !args.json && isatty(STDERR_FILENO);
  if (!args.json) {
    std::cout << "model " << args.model << (args.version.empty() ? "" : " version " + args.version) << " at " << url
              << " over " << args.protocol << ", batch size " << args.batch_size << ", "
              << args.duration_s << " s per step\n";
  }
  std::vector<std::string> json_steps;
  bool all_failed_somewhere = false;
  for (double value : *values) {
    perf::LoadStep step;
    if (rate_mode) {
      step.request_rate = value;
    } else {
      step.concurrency = static_cast<int>(value);
    }
    if (progress) {
      std::cerr << "measuring " << (rate_mode ? "request rate " : "concurrency ") << value << " ..." << std::flush;
    }
    auto measured = perf::RunLoadStep(make_client, step, settings);
    if (progress) std::cerr << "\r\033[K" << std::flush;
    if (!measured.ok()) return ReportError(measured.status());
    perf::StepReport report;
    report.measurement = std::move(measured).value();
    report.batch_size = args.batch_size;
    if (before.ok() && after.ok()) report.server = perf::DiffStatistics(*before, *after);
    if (report.measurement.succeeded == 0 && report.measurement.failed > 0) all_failed_somewhere = true;
    if (args.json) {
      json_steps.push_back(perf::FormatStepJson(report));
    } else {
      std::cout << perf::FormatStepText(report) << std::flush;
    }
  }
  if (args.json) {
    std::cout << "{\"model\": \"" << args.model << "\", \"version\": \"" << args.version << "\", \"url\": \"" << url
              << "\", \"protocol\": \"" << args.protocol << "\", \"batch_size\": " << args.batch_size
              << ", \"steps\": [";
    for (size_t i = 0; i < json_steps.size(); ++i) std::cout << (i ? ", " : "") << json_steps[i];
    std::cout << "]}\n";
  }
  if (all_failed_somewhere) {
    std::cerr << "kiln: every request of a step failed\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

CommandRunner RegisterPerfCommand(CLI::App& app) {
  auto args = std::make_shared<PerfArgs>();
  CLI::App* cmd = app.add_subcommand(
      "perf", "Load-test a KServe v2 inference server (HTTP or gRPC): throughput, latency, server time split");
  cmd->add_option("-m,--model-name", args->model, "Model to load-test")->required();
  cmd->add_option("-x,--model-version", args->version, "Model version (default: the server's choice)");
  cmd->add_option("-u,--url", args->url, "Server host:port (default localhost:8000 for http, localhost:8001 for grpc)");
  cmd->add_option("-i,--protocol", args->protocol, "http or grpc")->capture_default_str();
  cmd->add_option("--concurrency-range", args->concurrency_range,
                  "START[:END[:STEP]]: requests kept in flight (default 1)");
  cmd->add_option("--request-rate", args->request_rate,
                  "START[:END[:STEP]]: requests sent per second, on schedule, whatever the latency");
  cmd->add_option("-b,--batch-size", args->batch_size, "Batch size of each request")->capture_default_str();
  cmd->add_option("--duration", args->duration_s, "Measurement window per step, seconds")->capture_default_str();
  cmd->add_option("--warmup", args->warmup_s, "Unmeasured load before each window, seconds")->capture_default_str();
  cmd->add_option("--rate-threads", args->rate_threads, "Sending threads in --request-rate mode")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--async", args->async,
                "gRPC: one thread sends and receives every request (asynchronous API) instead of one blocking "
                "thread per request in flight — one connection per request in flight, or --rate-threads "
                "connections with --request-rate; far less client CPU under load");
  cmd->add_option("--input", args->input_files, "NAME=FILE.npy: send this tensor instead of generated data");
  cmd->add_option("--shape", args->shapes, "NAME=D0,D1,...: full shape of an input with variable dimensions");
  cmd->add_flag("--json", args->json, "Print one JSON object instead of text");
  return [args] { return Perf(*args); };
}

}  // namespace kiln::tools
