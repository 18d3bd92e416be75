#include "server/metrics/metrics_exporter.h"

#include <functional>

#include "server/metrics/process_metrics.h"
#include "server/metrics/prometheus_text.h"

namespace kiln::server {
namespace {

using Type = PrometheusText::Type;
using Snapshots = std::vector<ModelStatisticsSnapshot>;

MetricLabels LabelsOf(const ModelStatisticsSnapshot& model) {
  return {{"model", model.name}, {"version", model.version}};
}

void PerModelValue(PrometheusText& out, const Snapshots& models, const char* name, const char* help, Type type,
                   const std::function<double(const ModelStatisticsSnapshot&)>& value) {
  out.Family(name, help, type);
  for (const ModelStatisticsSnapshot& model : models) out.Sample(name, LabelsOf(model), value(model));
}

void LatencyHistogramFamily(PrometheusText& out, const Snapshots& models, const char* name, const char* help,
                            LatencyHistogram ModelStatisticsSnapshot::*member) {
  std::vector<double> bounds;
  for (uint64_t us : LatencyHistogram::kBoundsUs) bounds.push_back(static_cast<double>(us) / 1e6);
  out.Family(name, help, Type::kHistogram);
  for (const ModelStatisticsSnapshot& model : models) {
    const LatencyHistogram& histogram = model.*member;
    out.Histogram(name, LabelsOf(model), bounds, std::vector<uint64_t>(histogram.counts.begin(), histogram.counts.end()),
                  static_cast<double>(histogram.sum_ns) / 1e9);
  }
}

// Executions per batch size, bucketed at powers of two up to the largest size seen.
void BatchSizeFamily(PrometheusText& out, const Snapshots& models) {
  constexpr const char* kName = "kiln_inference_batch_size";
  out.Family(kName, "Batch size of each model execution.", Type::kHistogram);
  for (const ModelStatisticsSnapshot& model : models) {
    uint64_t largest = 1;
    for (const auto& [size, count] : model.batch_size_counts) largest = std::max(largest, size);
    std::vector<double> bounds;
    for (uint64_t bound = 1; ; bound *= 2) {
      bounds.push_back(static_cast<double>(bound));
      if (bound >= largest) break;
    }
    std::vector<uint64_t> counts(bounds.size() + 1, 0);
    double sum = 0;
    for (const auto& [size, count] : model.batch_size_counts) {
      size_t bucket = 0;
      while (bucket < bounds.size() && static_cast<double>(size) > bounds[bucket]) ++bucket;
      counts[bucket] += count;
      sum += static_cast<double>(size) * static_cast<double>(count);
    }
    out.Histogram(kName, LabelsOf(model), bounds, counts, sum);
  }
}

void ProcessFamilies(PrometheusText& out) {
  const ProcessMetrics process = ReadProcessMetrics();
  auto gauge = [&](const char* name, const char* help, Type type, double value) {
    if (value < 0) return;  // unreadable here
    out.Family(name, help, type);
    out.Sample(name, {}, value);
  };
  gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::kCounter,
        process.cpu_seconds);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge, process.resident_bytes);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge, process.virtual_bytes);
  gauge("process_open_fds", "Number of open file descriptors.", Type::kGauge, process.open_fds);
  gauge("process_max_fds", "Maximum number of open file descriptors.", Type::kGauge, process.max_fds);
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Type::kGauge,
        process.start_time_seconds);
}

double Us(uint64_t ns) { return static_cast<double>(ns / 1000); }

}  // namespace

std::string MetricsExporter::Render() const {
  PrometheusText out;
  Result<Snapshots> stats = service_.GetModelStatistics("", "");
  const Snapshots models = stats.ok() ? std::move(*stats) : Snapshots{};

  PerModelValue(out, models, "nv_inference_request_success", "Number of successful inference requests, all batch sizes",
                Type::kCounter, [](const auto& m) { return static_cast<double>(m.success.count); });
  PerModelValue(out, models, "nv_inference_request_failure", "Number of failed inference requests, all batch sizes",
                Type::kCounter, [](const auto& m) { return static_cast<double>(m.fail.count); });
  PerModelValue(out, models, "nv_inference_count", "Number of inferences performed (does not include cached requests)",
                Type::kCounter, [](const auto& m) { return static_cast<double>(m.inference_count); });
  PerModelValue(out, models, "nv_inference_exec_count",
                "Number of model executions performed (does not include cached requests)", Type::kCounter,
                [](const auto& m) { return static_cast<double>(m.execution_count); });
  PerModelValue(out, models, "nv_inference_request_duration_us", "Cumulative inference request duration in microseconds",
                Type::kCounter, [](const auto& m) { return Us(m.success.ns); });
  PerModelValue(out, models, "nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
                Type::kCounter, [](const auto& m) { return Us(m.queue.ns); });
  PerModelValue(out, models, "nv_inference_compute_input_duration_us",
                "Cumulative compute input duration in microseconds", Type::kCounter,
                [](const auto& m) { return Us(m.compute_input.ns); });
  PerModelValue(out, models, "nv_inference_compute_infer_duration_us",
                "Cumulative compute inference duration in microseconds", Type::kCounter,
                [](const auto& m) { return Us(m.compute_infer.ns); });
  PerModelValue(out, models, "nv_inference_compute_output_duration_us",
                "Cumulative inference compute output duration in microseconds", Type::kCounter,
                [](const auto& m) { return Us(m.compute_output.ns); });

  LatencyHistogramFamily(out, models, "kiln_inference_request_duration_seconds",
                         "Latency of successful inference requests, arrival to response, in seconds.",
                         &ModelStatisticsSnapshot::request_latency);
  LatencyHistogramFamily(out, models, "kiln_inference_queue_duration_seconds",
                         "Time successful inference requests waited in the queue, in seconds.",
                         &ModelStatisticsSnapshot::queue_latency);
  LatencyHistogramFamily(out, models, "kiln_inference_compute_duration_seconds",
                         "Compute time (input, inference, output) of successful inference requests, in seconds.",
                         &ModelStatisticsSnapshot::compute_latency);
  BatchSizeFamily(out, models);
  PerModelValue(out, models, "kiln_inference_queue_depth", "Inference requests waiting in the queue now.",
                Type::kGauge, [](const auto& m) { return static_cast<double>(m.queue_depth); });
  PerModelValue(out, models, "kiln_inference_rejected_total",
                "Inference requests refused by overload protection (queue full or queue timeout).", Type::kCounter,
                [](const auto& m) { return static_cast<double>(m.rejected); });
  ProcessFamilies(out);
  return out.Take();
}

}  // namespace kiln::server
