// Reads a whole file into memory with one sized read (istreambuf_iterator
// copies byte by byte, which costs seconds on a model of hundreds of MB).
#pragma once

#include <string>

#include "engine/core/status.h"

namespace kiln::io {

// NotFound when the file cannot be opened; InvalidArgument for a folder.
Result<std::string> ReadFileBytes(const std::string& path);

}  // namespace kiln::io
