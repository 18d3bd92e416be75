// Helpers shared by the If, Loop and Scan kernels.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "engine/ir/type_info.h"

namespace kiln::cpu {

// Reads a boolean condition: a tensor with exactly one element.
Result<bool> ReadCondition(const Tensor& t, const std::string& what);

// The value of a scan output when the loop runs zero times: an empty tensor
// whose element type (float when unknown) and fixed dims come from the
// declared type of the body output, with a 0-length dim inserted at `axis`
// (negative counts from the end of the result).
Tensor EmptyScanOutput(const ir::TypeInfo& element_type, int64_t axis);

}  // namespace kiln::cpu
