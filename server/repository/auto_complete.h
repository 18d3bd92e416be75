// Completes a model configuration from the ONNX model, as Triton's
// onnxruntime backend does with strict model configuration off: a missing
// config.pbtxt, or one that leaves fields out, gets its name, platform and
// backend, max_batch_size (4, with dynamic batching, when every input and
// output has a dynamic first dimension and the config lists no tensors),
// inputs and outputs (data types and dims), and one CPU instance.
// Fields the config sets are kept; ValidateModelConfig checks them after.
// Pure function; thread-safe.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "server/proto/model_config.pb.h"
#include "server/repository/model_signature.h"

namespace kiln::server {

inline constexpr char kOnnxPlatform[] = "onnxruntime_onnx";
inline constexpr char kOnnxBackend[] = "onnxruntime";
// Triton's --backend-config default-max-batch-size.
inline constexpr int kDefaultMaxBatchSize = 4;

// InvalidArgument when a tensor the config needs cannot be described (the
// model does not declare its shape).
Status AutoCompleteConfig(const std::string& model_name, const ModelSignature& model,
                          inference::ModelConfig* config);

}  // namespace kiln::server
