#include "server/scheduler/batch_assembler.h"

#include <cstring>
#include <memory>

namespace kiln::server {
namespace {

// Bytes one element occupies in a tensor's storage (strings are stored as
// std::string objects).
size_t ElementStride(DataType dtype) {
  return dtype == DataType::kString ? sizeof(std::string) : DataTypeSize(dtype);
}

// Copies `rows` leading-dimension rows of `src` into `dst` starting at row
// `dst_row`; both have the same per-row element count `row_elems`.
void CopyRows(const Tensor& src, Tensor& dst, int64_t dst_row, int64_t row_elems) {
  const int64_t elems = src.num_elements();
  if (src.dtype() == DataType::kString) {
    const std::string* from = src.data<std::string>();
    std::string* to = dst.data<std::string>() + dst_row * row_elems;
    for (int64_t i = 0; i < elems; ++i) to[i] = from[i];
    return;
  }
  const size_t stride = DataTypeSize(src.dtype());
  if (elems > 0) {
    std::memcpy(static_cast<char*>(dst.raw_data()) + static_cast<size_t>(dst_row * row_elems) * stride,
                src.raw_data(), static_cast<size_t>(elems) * stride);
  }
}

}  // namespace

int64_t RequestBatchSize(const TensorMap& inputs) {
  for (const auto& [name, tensor] : inputs) {
    if (tensor.rank() > 0) return tensor.dim(0);
  }
  return 1;
}

bool CanMergeInputs(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
    const Tensor& ta = ia->second;
    const Tensor& tb = ib->second;
    if (ta.dtype() != tb.dtype() || ta.rank() != tb.rank() || ta.rank() == 0) return false;
    for (int d = 1; d < ta.rank(); ++d) {
      if (ta.dim(d) != tb.dim(d)) return false;
    }
  }
  return true;
}

Result<TensorMap> MergeInputs(const std::vector<const TensorMap*>& parts) {
  if (parts.empty()) return Status::Internal("MergeInputs: no requests to merge");
  if (parts.size() == 1) return *parts.front();
  const TensorMap& first = *parts.front();
  for (size_t p = 1; p < parts.size(); ++p) {
    if (!CanMergeInputs(first, *parts[p])) {
      return Status::InvalidArgument("requests with different input names, dtypes or non-batch dimensions cannot "
                                     "be batched together");
    }
  }
  TensorMap merged;
  for (const auto& [name, sample] : first) {
    int64_t rows = 0;
    for (const TensorMap* part : parts) rows += part->at(name).dim(0);
    Shape shape = sample.shape();
    shape[0] = rows;
    const int64_t row_elems = rows == 0 ? 0 : NumElements(shape) / rows;
    Tensor batch = Tensor::Allocate(sample.dtype(), shape);
    int64_t row = 0;
    for (const TensorMap* part : parts) {
      const Tensor& piece = part->at(name);
      CopyRows(piece, batch, row, row_elems);
      row += piece.dim(0);
    }
    merged.emplace(name, std::move(batch));
  }
  return merged;
}

Result<std::vector<TensorMap>> SplitOutputs(const TensorMap& outputs, const std::vector<int64_t>& batch_sizes) {
  if (batch_sizes.size() == 1) return std::vector<TensorMap>{outputs};
  int64_t total = 0;
  for (int64_t size : batch_sizes) total += size;
  std::vector<TensorMap> pieces(batch_sizes.size());
  for (const auto& [name, tensor] : outputs) {
    if (tensor.rank() == 0 || tensor.dim(0) != total) {
      return Status::Internal("output '" + name + "' has shape " + ShapeToString(tensor.shape()) +
                              ", which cannot be split back into a batch of " + std::to_string(total) + " items");
    }
    const int64_t row_elems = total == 0 ? 0 : tensor.num_elements() / total;
    // The slices keep the whole output alive through a shared copy of it.
    auto owner = std::make_shared<Tensor>(tensor);
    char* base = static_cast<char*>(owner->raw_data());
    const size_t stride = ElementStride(tensor.dtype());
    int64_t row = 0;
    for (size_t i = 0; i < batch_sizes.size(); ++i) {
      Shape shape = tensor.shape();
      shape[0] = batch_sizes[i];
      void* data = base + static_cast<size_t>(row * row_elems) * stride;
      pieces[i].emplace(name, Tensor::Borrow(tensor.dtype(), std::move(shape), data, owner));
      row += batch_sizes[i];
    }
  }
  return pieces;
}

}  // namespace kiln::server
