// The on-disk layout of values for `kiln run`: a tensor is `<name>.npy`, a
// sequence is a folder `<name>.seq/` of `0.npy`, `1.npy`, ..., and an absent
// optional is an empty file `<name>.none`. Names are made file-safe by
// replacing '/' and '\' with '_'.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/core/value.h"

namespace kiln::io {

std::string FileSafeName(const std::string& value_name);

// Reads the value called `name` from `dir`; NotFound when no file matches.
Result<Value> ReadValueFromDir(const std::string& dir, const std::string& name);
// Reads a value from an explicit path (.npy file, .seq folder or .none file).
Result<Value> ReadValueFromPath(const std::string& path);
// Writes `value` as `name` into `dir` (which must exist).
Status WriteValueToDir(const std::string& dir, const std::string& name, const Value& value);

}  // namespace kiln::io
