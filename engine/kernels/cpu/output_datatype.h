// Validation of the `output_datatype` attribute of generator operators
// (window functions, MelWeightMatrix).
#pragma once

#include <string>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

// Ok when the node's output_datatype (default 1 = float) names a numeric type.
inline Status CheckNumericOutputType(const ir::Node& node) {
  const int64_t code = node.GetInt("output_datatype", 1);
  const bool known = code > 0 && code <= static_cast<int64_t>(DataType::kBFloat16);
  const DataType dtype = static_cast<DataType>(code);
  if (!known || dtype == DataType::kString || dtype == DataType::kBool || dtype == DataType::kComplex64 ||
      dtype == DataType::kComplex128) {
    return Status::InvalidArgument("output_datatype " + std::to_string(code) + " is not a numeric type");
  }
  return Status::Ok();
}

}  // namespace kiln::cpu
