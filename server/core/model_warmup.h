// Runs config.pbtxt's model_warmup samples on every instance of a version
// before it is declared ready (so the first real request does not pay for
// first-run costs, and a version that cannot run never becomes ready).
// Samples: zero_data, random_data or input_data_file (raw row-major bytes
// under <model>/warmup/; strings as 4-byte length + bytes), batch_size,
// count. Called during load, single-threaded per version.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/runtime/session.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

// The feeds of `sample` at `batch_size` (ignored for a model without
// batching): InvalidArgument naming the sample when they cannot be made.
Result<std::map<std::string, Value>> WarmupFeeds(const inference::ModelConfig& config, const std::string& model_dir,
                                                 const inference::ModelWarmup& sample, uint32_t batch_size,
                                                 std::mt19937& rng);

// InvalidArgument naming the sample for a bad sample, or the engine's error.
Status RunModelWarmup(const inference::ModelConfig& config, const std::string& model_dir,
                      const std::vector<std::shared_ptr<const Session>>& instances);

}  // namespace kiln::server
