// Post-training quantization of an ONNX model file, end to end: load,
// calibrate (static) or not (dynamic), rewrite, save, and measure accuracy
// against the float model. The engine side of `kiln quantize`.
#pragma once

#include <functional>
#include <string>

#include "engine/core/status.h"
#include "engine/quantization/accuracy_report.h"
#include "engine/quantization/quantize_options.h"

namespace kiln::quantization {

struct QuantizeRequest {
  std::string model_path;
  std::string output_path;
  QuantizeOptions options;
  std::string calibration_dir;  // folder of input sets, or
  int calibration_random = 0;   // this many random input sets
  std::string eval_dir;         // input sets for the accuracy report (default: the calibration sets)
  int threads = 0;              // per inference; 0 = every core
};

struct QuantizeSummary {
  int calibration_sets = 0;
  int quantized_activations = 0;  // static: activations given QDQ
  int quantized_nodes = 0;        // dynamic: MatMul/Gemm rewritten
  AccuracyReport accuracy;
  std::string accuracy_source;  // "calibration set", "evaluation set", "random inputs"
};

// (stage, done, total) as work progresses: "calibrating", "evaluating".
using StageProgress = std::function<void(const std::string& stage, int done, int total)>;

// Errors: NotFound / InvalidArgument for a bad model or input sets,
// Unimplemented when the model needs what Kiln lacks.
Result<QuantizeSummary> QuantizeModelFile(const QuantizeRequest& request, const StageProgress& progress = {});

}  // namespace kiln::quantization
