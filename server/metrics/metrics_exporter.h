// MetricsExporter: renders Kiln's Prometheus metrics at scrape time from
// InferenceService::GetModelStatistics("", "") and the process's own
// figures. Nothing is cached or counted here: every scrape reads the live
// statistics, so the exporter holds no state of its own.
//
// Per model and version (labels model, version):
//   Triton's counters, same names and meanings:
//     nv_inference_request_success, nv_inference_request_failure,
//     nv_inference_count (batch items), nv_inference_exec_count (executions),
//     nv_inference_request_duration_us (successful requests, cumulative),
//     nv_inference_queue_duration_us, nv_inference_compute_input_duration_us,
//     nv_inference_compute_infer_duration_us,
//     nv_inference_compute_output_duration_us
//   Kiln's (Prometheus conventions: base unit seconds, counters end in _total):
//     kiln_inference_request_duration_seconds  histogram, arrival to response
//     kiln_inference_queue_duration_seconds    histogram, time in the queue
//     kiln_inference_compute_duration_seconds  histogram, input+infer+output
//     kiln_inference_batch_size                histogram of execution batch sizes
//     kiln_inference_queue_depth               gauge, requests waiting now
//     kiln_inference_rejected_total            counter, refused by overload protection
// Process (the names every Prometheus client library uses):
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_open_fds, process_max_fds,
//   process_start_time_seconds.
//
// The service must outlive the exporter. Render is thread-safe.
#pragma once

#include <string>

#include "server/core/inference_service.h"

namespace kiln::server {

class MetricsExporter {
 public:
  explicit MetricsExporter(const InferenceService& service) : service_(service) {}

  // The whole exposition text of one scrape.
  std::string Render() const;

 private:
  const InferenceService& service_;
};

// The Content-Type of the text exposition format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace kiln::server
