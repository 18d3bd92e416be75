// KServe v2 datatype names ("FP32", "INT64", "BYTES", ...) and their mapping
// to the engine's DataType. Shared by the HTTP and gRPC front-ends and the
// model configuration (whose TYPE_* names are these with a "TYPE_" prefix,
// STRING standing for BYTES).
#pragma once

#include <optional>
#include <string_view>

#include "engine/core/dtype.h"

namespace kiln::server {

// "BOOL", "UINT8".."UINT64", "INT8".."INT64", "FP16", "FP32", "FP64", "BF16",
// "BYTES" (engine kString). Empty for types the protocol cannot carry.
std::string_view V2DataTypeName(DataType dtype);
// The engine type for a v2 datatype name; nullopt for an unknown name.
std::optional<DataType> DataTypeFromV2Name(std::string_view name);

}  // namespace kiln::server
