// Reads a model's configuration (Triton's ModelConfig) from protobuf text
// (config.pbtxt) or JSON (the repository API's "config" load parameter).
//
// Errors name the source, line and column and the offending field, e.g.
// "config.pbtxt:4:3: Message type "inference.ModelConfig" has no field named
// "max_batch"." — an unknown field fails the load of that model only.
// Stateless free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

// The file name Triton and Kiln read in a model's directory.
inline constexpr std::string_view kConfigFileName = "config.pbtxt";

// Parses protobuf text. `source` prefixes messages (usually the file path).
Result<inference::ModelConfig> ParseModelConfigText(std::string_view text, const std::string& source);
// Parses the JSON form of a ModelConfig (field names as in the .proto or
// lowerCamelCase). Unknown fields are errors.
Result<inference::ModelConfig> ParseModelConfigJson(std::string_view json);
// Reads `model_dir`/config.pbtxt; an absent file yields an empty config
// (everything is then derived from the model, see auto_complete.h).
Result<inference::ModelConfig> LoadModelConfigFile(const std::string& model_dir);

}  // namespace kiln::server
