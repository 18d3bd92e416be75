// Checks an inference request against a model version's (completed)
// configuration before it is scheduled — input names, data types, shapes and
// batch size, requested outputs — and turns it into engine feeds (config
// reshape applied). Every failure is InvalidArgument with a message naming
// the tensor and what was expected. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "server/core/infer_types.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

struct PreparedRequest {
  std::map<std::string, Tensor> feeds;  // by model input name, in the model's shapes
  int64_t batch_size = 0;               // first dimension when the model batches, else 0
  std::vector<RequestedOutput> outputs;  // what to return: as requested, or every configured output
};

Result<PreparedRequest> PrepareRequest(const inference::ModelConfig& config, const InferRequest& request);

// The client-facing form of one model output: config reshape undone, or the
// classification strings when asked for. `labels` may be empty.
Result<InferOutput> BuildOutput(const inference::ModelConfig& config, const RequestedOutput& requested,
                                const Tensor& model_output, const std::vector<std::string>& labels);

}  // namespace kiln::server
