#include "engine/kernels/cpu/control_flow_util.h"

#include <algorithm>

namespace kiln::cpu {

Result<bool> ReadCondition(const Tensor& t, const std::string& what) {
  if (!t.defined() || t.num_elements() != 1) {
    return Status::InvalidArgument(what + " must be a tensor with one element");
  }
  if (t.dtype() == DataType::kString) return Status::InvalidArgument(what + " must be boolean");
  return t.GetInt(0) != 0;
}

Tensor EmptyScanOutput(const ir::TypeInfo& element_type, int64_t axis) {
  DataType dtype = element_type.kind == ir::TypeInfo::Kind::kTensor && element_type.elem_type != DataType::kUndefined
                       ? element_type.elem_type
                       : DataType::kFloat;
  Shape shape;
  if (element_type.shape) {
    for (const ir::Dim& d : *element_type.shape) shape.push_back(d.is_fixed() ? d.value : 0);
  }
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t at = std::clamp<int64_t>(axis < 0 ? axis + rank + 1 : axis, 0, rank);
  shape.insert(shape.begin() + at, 0);
  return Tensor::Allocate(dtype, shape);
}

}  // namespace kiln::cpu
