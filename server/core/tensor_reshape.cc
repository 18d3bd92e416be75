#include "server/core/tensor_reshape.h"

#include <vector>

namespace kiln::server {

Shape MapShape(const Shape& shape, const ConfigDims& from, const ConfigDims& to, size_t batch_dims) {
  Shape out(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(std::min(batch_dims, shape.size())));
  std::vector<int64_t> variable_values;
  for (int i = 0; i < from.size(); ++i) {
    const size_t pos = batch_dims + static_cast<size_t>(i);
    if (from[i] < 0 && pos < shape.size()) variable_values.push_back(shape[pos]);
  }
  int variable_in_to = 0;
  for (int64_t d : to) variable_in_to += d < 0 ? 1 : 0;
  size_t next = 0;
  int64_t known = 1;
  for (int64_t d : to) {
    if (d >= 0) {
      out.push_back(d);
      known *= d;
    } else if (static_cast<size_t>(variable_in_to) == variable_values.size()) {
      out.push_back(variable_values[next]);
      known *= variable_values[next++];
    } else {
      out.push_back(-1);  // filled below
    }
  }
  // Fallback: a single unresolved dimension takes what the element count leaves.
  for (auto& d : out) {
    if (d < 0) {
      int64_t total = NumElements(shape);
      int64_t batch = 1;
      for (size_t i = 0; i < batch_dims && i < shape.size(); ++i) batch *= shape[i];
      d = known * batch > 0 ? total / (known * batch) : 0;
      break;
    }
  }
  return out;
}

}  // namespace kiln::server
