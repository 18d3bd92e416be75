// Conversion between the wire form of KServe v2 parameters
// (inference::InferParameter maps) and Kiln's protocol-neutral Parameters.
// Stateless; thread-safe.
#pragma once

#include <string>

#include <google/protobuf/map.h>

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

using GrpcParameterMap = google::protobuf::Map<std::string, inference::InferParameter>;

// bool, int64 and string values are kept as they are; a uint64 value must fit
// int64; a double value is kept as its shortest decimal text (Kiln has no
// double parameters, but Triton clients may send them for custom use).
// InvalidArgument for an unset value or an out-of-range uint64, naming `key`.
Result<ParameterValue> ParameterValueFromGrpc(const std::string& key, const inference::InferParameter& value);
Status ParametersFromGrpc(const GrpcParameterMap& from, Parameters* to);

void ParameterValueToGrpc(const ParameterValue& value, inference::InferParameter* to);
void ParametersToGrpc(const Parameters& from, GrpcParameterMap* to);

}  // namespace kiln::server
