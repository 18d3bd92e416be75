// Model names as they may appear in a request, a --load-model flag or a
// repository folder. A name becomes a path component, so anything that could
// walk the file system ("..", "/", "\", NUL, a leading ".") is refused before
// any file is touched. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "engine/core/status.h"

namespace kiln::server {

// InvalidArgument naming the problem, Ok for a usable name.
Status ValidateModelName(std::string_view name);

}  // namespace kiln::server
