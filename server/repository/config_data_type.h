// The model configuration's TYPE_* data types and the engine's DataType
// (TYPE_STRING is the engine's string tensor, "BYTES" on the wire). Pure
// functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "engine/core/dtype.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

// nullopt for TYPE_INVALID and values outside the enum.
std::optional<DataType> EngineDataType(inference::DataType type);
// TYPE_INVALID for engine types a configuration cannot name (complex).
inference::DataType ConfigDataType(DataType dtype);
// "TYPE_FP32"; "TYPE_INVALID" for TYPE_INVALID, "<unknown N>" outside the enum.
std::string ConfigDataTypeName(inference::DataType type);

}  // namespace kiln::server
