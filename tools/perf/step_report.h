// What `kiln perf` prints for a measurement step: client-side throughput and
// latency percentiles, and the server-side split of each request's time
// (queue, compute input/infer/output) from the difference of two statistics
// snapshots taken at the window's edges. Text for people, JSON for scripts.
//
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/core/model_statistics.h"
#include "tools/perf/load_generator.h"

namespace kiln::perf {

// Server-side averages over the requests that succeeded in the window.
struct ServerSplit {
  bool available = false;  // false: the statistics could not be read
  uint64_t requests = 0;
  uint64_t executions = 0;
  uint64_t inferences = 0;  // batch items
  double queue_us = 0;
  double compute_input_us = 0;
  double compute_infer_us = 0;
  double compute_output_us = 0;
};

// `after` minus `before`, summed over every version in the snapshots.
ServerSplit DiffStatistics(const std::vector<server::ModelStatisticsSnapshot>& before,
                           const std::vector<server::ModelStatisticsSnapshot>& after);

struct StepReport {
  StepMeasurement measurement;
  ServerSplit server;
  int64_t batch_size = 1;

  double Throughput() const;  // inferences (batch items) per second
};

std::string FormatStepText(const StepReport& report);
// One JSON object (no trailing newline).
std::string FormatStepJson(const StepReport& report);

}  // namespace kiln::perf
