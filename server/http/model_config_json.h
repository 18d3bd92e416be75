// The model configuration as JSON for GET .../config: protobuf's JSON
// mapping with the proto field names kept (max_batch_size, not
// maxBatchSize), as Triton returns it, with 64-bit integers as JSON numbers
// ("dims": [16], not ["16"]) as Triton prints them. Thread-safe.
#pragma once

#include <string>

#include "engine/core/status.h"

namespace inference {
class ModelConfig;
}  // namespace inference

namespace kiln::server {

// Internal if protobuf cannot print the message.
Result<std::string> ModelConfigJson(const inference::ModelConfig& config);

}  // namespace kiln::server
