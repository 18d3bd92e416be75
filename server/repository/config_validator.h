// Checks a (completed) model configuration against the ONNX model it
// describes: platform/backend, max_batch_size against the model's first
// dimensions, every input and output (name, TYPE_* data type, dims with -1,
// reshape, optional, label_filename), instance groups, dynamic batching
// sizes and warmup samples. The first problem is returned with the field
// it concerns, e.g. "input 'INPUT0': data_type TYPE_FP32 does not match the
// model's TYPE_INT32". Pure function (reads label files' existence only);
// thread-safe.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "server/proto/model_config.pb.h"
#include "server/repository/model_signature.h"

namespace kiln::server {

// `model_dir` is the model's folder (label files are relative to it).
// InvalidArgument for an inconsistent config, Unimplemented for features
// Kiln does not offer (GPU instances, sequence batching, ensembles, other
// platforms).
Status ValidateModelConfig(const std::string& model_name, const std::string& model_dir, const ModelSignature& model,
                           const inference::ModelConfig& config);

// A path inside the model folder named by the config (label or warmup
// file): relative, without "..". InvalidArgument otherwise.
Status CheckRelativeFileName(const std::string& field, const std::string& name);

// "[1,-1,3]"
std::string DimsToString(const google::protobuf::RepeatedField<int64_t>& dims);

}  // namespace kiln::server
