// Which of a model's versions to serve, from config.pbtxt's version_policy:
// latest { num_versions } (the default, one version), all, or
// specific { versions }. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <set>

#include "engine/core/status.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

// The versions to serve among `available` (positive version folders).
// Specific versions that do not exist are left out (the model may still
// load with the others). InvalidArgument for a non-positive specific
// version.
Result<std::set<int64_t>> SelectVersions(const inference::ModelVersionPolicy& policy,
                                         const std::set<int64_t>& available);

}  // namespace kiln::server
