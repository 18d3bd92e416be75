// Calibration: runs the float model on input sets with the tensors to be
// quantized added as extra graph outputs, and derives each tensor's range
// (min/max, percentile or entropy). Stateless functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/quantization/input_sets.h"
#include "engine/quantization/quantize_options.h"

namespace onnx {
class ModelProto;
}

namespace kiln::quantization {

struct TensorRange {
  float min = 0;
  float max = 0;
};

// Called after each model run: (runs done, runs in total).
using ProgressCallback = std::function<void(int done, int total)>;

// `tensors`: float32 values of `model` to observe. `base_dir`: where the
// model's external data lives. `threads`: per run, 0 = every core.
Result<std::map<std::string, TensorRange>> CalibrateRanges(const onnx::ModelProto& model, const std::string& base_dir,
                                                           const std::vector<std::string>& tensors,
                                                           const std::vector<InputSet>& sets,
                                                           const QuantizeOptions& options, int threads,
                                                           const ProgressCallback& progress = {});

}  // namespace kiln::quantization
