// LoadGenerator: drives one measurement step against a KServe v2 server, as
// Triton's perf_analyzer does — either a fixed number of requests always in
// flight (concurrency), or requests sent on a fixed schedule (request rate)
// whatever the server's answers take. Each sending thread owns its own
// client (its own connection) — or, with a pipeline (LoadSettings::
// make_pipeline, gRPC), one thread sends and receives everything: in
// concurrency mode one request in flight per connection, in rate mode on
// schedule over rate_threads connections.
//
// A step runs a warm-up, then a measurement window; only requests that
// complete inside the window count. Hooks run on the calling thread at the
// window's start and end (e.g. to read the server's statistics there).
// RunLoadStep blocks; it is safe to run steps one after another.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/client/grpc_infer_pipeline.h"
#include "server/client/inference_client.h"

namespace kiln::perf {

// Exactly one of the two is > 0.
struct LoadStep {
  int concurrency = 0;
  double request_rate = 0;  // requests per second
};

struct LoadSettings {
  std::string model;
  std::string version;
  std::vector<server::ClientTensor> inputs;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds window{5000};
  int rate_threads = 64;  // sending threads (connections with a pipeline) in request-rate mode
  // Set: steps run on a pipeline driven by one thread instead of blocking
  // clients, one per thread — with `concurrency` connections, or
  // `rate_threads` in rate mode.
  std::function<Result<std::unique_ptr<server::GrpcInferPipeline>>(int connections)> make_pipeline;
  std::function<void()> on_window_start;
  std::function<void()> on_window_end;
};

struct StepMeasurement {
  LoadStep step;
  double window_s = 0;
  uint64_t succeeded = 0;
  uint64_t rejected = 0;  // ResourceExhausted: the server's overload protection
  uint64_t failed = 0;    // every other error
  std::string first_error;
  uint64_t sent_late = 0;  // rate mode: sends more than 1 ms behind schedule
  std::vector<double> latencies_us;  // succeeded requests, sorted
  std::vector<double> rejected_latencies_us;  // how fast rejections came back, sorted
};

using ClientFactory = std::function<Result<std::unique_ptr<server::InferenceClient>>()>;

Result<StepMeasurement> RunLoadStep(const ClientFactory& make_client, const LoadStep& step,
                                    const LoadSettings& settings);

// Percentile `p` (0..100) of sorted values (linear interpolation); 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

}  // namespace kiln::perf
