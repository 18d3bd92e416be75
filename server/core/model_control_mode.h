// Triton's model control modes: which models load and when.
//   none     - every model in the repositories loads at start; nothing changes after.
//   poll     - as none, then the repositories are rescanned every
//              --repository-poll-secs: new models and versions load, removed
//              ones unload, changed configs and model files reload.
//   explicit - only --load-model models load at start; the repository API
//              (LoadModel / UnloadModel) loads and unloads the rest.
#pragma once

#include <string_view>

#include "engine/core/status.h"

namespace kiln::server {

enum class ModelControlMode { kNone, kPoll, kExplicit };

// "none", "poll", "explicit"; InvalidArgument otherwise.
Result<ModelControlMode> ParseModelControlMode(std::string_view text);
std::string_view ModelControlModeName(ModelControlMode mode);

}  // namespace kiln::server
