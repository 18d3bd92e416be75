// Accuracy of a quantized (or otherwise approximated) model against its
// float reference, per graph output over a list of input sets: max and mean
// absolute error, cosine similarity, and top-1 agreement (argmax over the
// last axis) for outputs whose last dimension is at least 2.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/quantization/input_sets.h"

namespace kiln {
class Session;
}

namespace kiln::quantization {

struct OutputAccuracy {
  std::string name;
  double max_abs_error = 0;
  double mean_abs_error = 0;
  double cosine_similarity = 1;
  double top1_agreement = -1;  // fraction in [0, 1]; -1 when not a classification-like output
  int64_t elements = 0;
};

struct AccuracyReport {
  int input_sets = 0;
  std::vector<OutputAccuracy> outputs;
};

// Runs both sessions on every set. InvalidArgument when their outputs differ
// in names or shapes; only float outputs are compared (others must match).
Result<AccuracyReport> CompareSessions(const Session& reference, const Session& candidate,
                                       const std::vector<InputSet>& sets,
                                       const std::function<void(int, int)>& progress = {});

// A human-readable table, one line per output.
std::string FormatAccuracyReport(const AccuracyReport& report);

}  // namespace kiln::quantization
