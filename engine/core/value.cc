#include "engine/core/value.h"

namespace kiln {

std::string Value::Describe() const {
  if (is_tensor()) {
    return "tensor(" + std::string(DataTypeName(tensor().dtype())) + ")" + ShapeToString(tensor().shape());
  }
  if (is_sequence()) {
    return "sequence(" + std::string(DataTypeName(sequence().elem_type)) + ")[" +
           std::to_string(sequence().items.size()) + " items]";
  }
  return "none";
}

}  // namespace kiln
