#include "server/core/model_statistics.h"

#include <chrono>

namespace kiln::server {
namespace {

uint64_t NowMsSinceEpoch() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void Add(DurationStat& stat, uint64_t ns) {
  ++stat.count;
  stat.ns += ns;
}

}  // namespace

void LatencyHistogram::Observe(uint64_t ns) {
  const uint64_t us = ns / 1000;
  size_t bucket = 0;
  while (bucket < kBoundsUs.size() && us > kBoundsUs[bucket]) ++bucket;
  ++counts[bucket];
  sum_ns += ns;
  ++total;
}

void ModelStatistics::RecordSuccess(const RequestTimings& timings, uint64_t batch_items) {
  std::lock_guard<std::mutex> lock(mutex_);
  data_.last_inference_ms = NowMsSinceEpoch();
  data_.inference_count += batch_items;
  Add(data_.success, timings.total_ns);
  Add(data_.queue, timings.queue_ns);
  Add(data_.compute_input, timings.compute_input_ns);
  Add(data_.compute_infer, timings.compute_infer_ns);
  Add(data_.compute_output, timings.compute_output_ns);
  data_.request_latency.Observe(timings.total_ns);
  data_.queue_latency.Observe(timings.queue_ns);
  data_.compute_latency.Observe(timings.compute_input_ns + timings.compute_infer_ns + timings.compute_output_ns);
}

void ModelStatistics::RecordFailure(uint64_t total_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  data_.last_inference_ms = NowMsSinceEpoch();
  Add(data_.fail, total_ns);
}

void ModelStatistics::RecordRejected(uint64_t total_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++data_.rejected;
  Add(data_.fail, total_ns);
}

void ModelStatistics::RecordExecution(uint64_t batch_size, uint64_t compute_input_ns, uint64_t compute_infer_ns,
                                      uint64_t compute_output_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++data_.execution_count;
  BatchStats& batch = data_.batch_stats[batch_size];
  Add(batch.compute_input, compute_input_ns);
  Add(batch.compute_infer, compute_infer_ns);
  Add(batch.compute_output, compute_output_ns);
  ++data_.batch_size_counts[batch_size];
}

void ModelStatistics::SetQueueDepth(uint64_t depth) {
  std::lock_guard<std::mutex> lock(mutex_);
  data_.queue_depth = depth;
}

ModelStatisticsSnapshot ModelStatistics::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return data_;
}

}  // namespace kiln::server
