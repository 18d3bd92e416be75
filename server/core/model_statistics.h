// Per model-version counters and latency histograms: the data behind the
// statistics extension (GET .../stats, gRPC ModelStatistics) and the
// Prometheus metrics.
//
// The scheduler records each request and each engine execution; front-ends
// and the metrics exporter read consistent snapshots. Thread-safe: every
// method may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kiln::server {

// A count and the cumulative duration of what was counted.
struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};

// Latency distribution with fixed bucket upper bounds (Prometheus style,
// cumulative when exported). Bounds in microseconds.
struct LatencyHistogram {
  static constexpr std::array<uint64_t, 16> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
  std::array<uint64_t, kBoundsUs.size() + 1> counts{};  // last: above every bound (+Inf)
  uint64_t sum_ns = 0;
  uint64_t total = 0;

  void Observe(uint64_t ns);
};

// Statistics for the executions that ran with one batch size.
struct BatchStats {
  DurationStat compute_input;
  DurationStat compute_infer;
  DurationStat compute_output;
};

// Timings of one successful request, in nanoseconds.
struct RequestTimings {
  uint64_t total_ns = 0;           // arrival at the service to response ready
  uint64_t queue_ns = 0;           // waiting in the scheduler's queue
  uint64_t compute_input_ns = 0;   // batching / preparing inputs
  uint64_t compute_infer_ns = 0;   // the engine call
  uint64_t compute_output_ns = 0;  // splitting / preparing outputs
};

struct ModelStatisticsSnapshot {
  std::string name;
  std::string version;
  uint64_t last_inference_ms = 0;  // ms since the epoch; 0 = never
  uint64_t inference_count = 0;    // requests that succeeded (batch items)
  uint64_t execution_count = 0;    // engine executions (batches)
  DurationStat success;
  DurationStat fail;
  DurationStat queue;
  DurationStat compute_input;
  DurationStat compute_infer;
  DurationStat compute_output;
  uint64_t rejected = 0;  // refused by overload protection (queue full / timeout)
  std::map<uint64_t, BatchStats> batch_stats;  // by batch size
  LatencyHistogram request_latency;
  LatencyHistogram queue_latency;
  LatencyHistogram compute_latency;
  std::map<uint64_t, uint64_t> batch_size_counts;  // executions per batch size
  uint64_t queue_depth = 0;  // requests waiting now (a gauge)
};

class ModelStatistics {
 public:
  ModelStatistics(std::string name, std::string version) {
    data_.name = std::move(name);
    data_.version = std::move(version);
  }

  // A request of `batch_items` batch entries finished successfully.
  void RecordSuccess(const RequestTimings& timings, uint64_t batch_items = 1);
  // A request failed after `total_ns` (bad input found late, engine error).
  void RecordFailure(uint64_t total_ns);
  // A request was refused by overload protection (also counted as a failure).
  void RecordRejected(uint64_t total_ns);
  // One engine execution of `batch_size` items.
  void RecordExecution(uint64_t batch_size, uint64_t compute_input_ns, uint64_t compute_infer_ns,
                       uint64_t compute_output_ns);
  void SetQueueDepth(uint64_t depth);

  ModelStatisticsSnapshot Snapshot() const;

 private:
  mutable std::mutex mutex_;
  ModelStatisticsSnapshot data_;  // guarded by mutex_
};

}  // namespace kiln::server
