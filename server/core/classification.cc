#include "server/core/classification.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "engine/io/file_bytes.h"

namespace kiln::server {

Result<Tensor> Classify(const Tensor& scores, bool batched, uint32_t k, const std::vector<std::string>& labels) {
  if (scores.dtype() == DataType::kString || scores.dtype() == DataType::kBool || DataTypeSize(scores.dtype()) == 0 ||
      scores.dtype() == DataType::kComplex64 || scores.dtype() == DataType::kComplex128) {
    return Status::InvalidArgument("classification needs a numeric output, but it is " +
                                   std::string(DataTypeName(scores.dtype())));
  }
  const int64_t batch = batched ? (scores.rank() > 0 ? scores.dim(0) : 1) : 1;
  const int64_t per_item = batch > 0 ? scores.num_elements() / batch : 0;
  const int64_t top = std::min<int64_t>(k, per_item);
  Tensor out = Tensor::Allocate(DataType::kString, batched ? Shape{batch, top} : Shape{top});
  std::string* dst = out.data<std::string>();
  std::vector<int64_t> order(static_cast<size_t>(per_item));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t base = b * per_item;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int64_t x, int64_t y) {
      const double vx = scores.GetDouble(base + x), vy = scores.GetDouble(base + y);
      return vx > vy || (vx == vy && x < y);
    });
    for (int64_t i = 0; i < top; ++i) {
      const int64_t index = order[static_cast<size_t>(i)];
      std::string entry = std::to_string(static_cast<float>(scores.GetDouble(base + index))) + ":" +
                          std::to_string(index);
      if (index < static_cast<int64_t>(labels.size())) entry += ":" + labels[static_cast<size_t>(index)];
      dst[b * top + i] = std::move(entry);
    }
  }
  return out;
}

Result<std::vector<std::string>> ReadLabelFile(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, io::ReadFileBytes(path));
  std::vector<std::string> labels;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

}  // namespace kiln::server
