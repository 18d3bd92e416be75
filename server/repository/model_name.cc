#include "server/repository/model_name.h"

#include <string>

namespace kiln::server {

Status ValidateModelName(std::string_view name) {
  const std::string quoted = "'" + std::string(name) + "'";
  if (name.empty()) return Status::InvalidArgument("model name must not be empty");
  if (name.size() > 255) return Status::InvalidArgument("model name is longer than 255 characters");
  if (name.front() == '.') return Status::InvalidArgument("invalid model name " + quoted + ": it must not start with '.'");
  for (char c : name) {
    if (c == '/' || c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) {
      return Status::InvalidArgument("invalid model name " + quoted +
                                     ": it must not contain path separators or control characters");
    }
  }
  return Status::Ok();
}

}  // namespace kiln::server
