// The model configuration as JSON for GET .../config, as Triton returns it:
// protobuf's JSON mapping with the proto field names kept (max_batch_size,
// not maxBatchSize), but 64-bit integer fields (dims, max_queue_delay_
// microseconds, ...) printed as JSON numbers rather than protobuf's default
// quoted strings, because Triton's clients read them as numbers.
// Thread-safe.
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
