#include "server/core/model_control_mode.h"

#include <string>

namespace kiln::server {

Result<ModelControlMode> ParseModelControlMode(std::string_view text) {
  if (text == "none") return ModelControlMode::kNone;
  if (text == "poll") return ModelControlMode::kPoll;
  if (text == "explicit") return ModelControlMode::kExplicit;
  return Status::InvalidArgument("unknown model control mode '" + std::string(text) +
                                 "' (expected none, poll or explicit)");
}

std::string_view ModelControlModeName(ModelControlMode mode) {
  switch (mode) {
    case ModelControlMode::kNone: return "none";
    case ModelControlMode::kPoll: return "poll";
    case ModelControlMode::kExplicit: return "explicit";
  }
  return "none";
}

}  // namespace kiln::server
