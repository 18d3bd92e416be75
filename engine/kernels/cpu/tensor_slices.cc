#include "engine/kernels/cpu/tensor_slices.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

void CopyElements(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset, int64_t count) {
  if (count <= 0) return;
  if (src.dtype() == DataType::kString) {
    const std::string* from = src.data<std::string>() + src_offset;
    std::copy(from, from + count, dst.data<std::string>() + dst_offset);
    return;
  }
  const size_t elem = DataTypeSize(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw_data()) + static_cast<size_t>(dst_offset) * elem,
              static_cast<const char*>(src.raw_data()) + static_cast<size_t>(src_offset) * elem,
              static_cast<size_t>(count) * elem);
}

void CopyAlongAxis(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int64_t axis,
                   int64_t length) {
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = SizeFromDim(src.shape(), 0, ax);
  const int64_t inner = SizeFromDim(src.shape(), ax + 1, src.shape().size());
  const int64_t src_axis = src.shape()[ax];
  const int64_t dst_axis = dst.shape()[ax];
  const int64_t block = length * inner;
  for (int64_t o = 0; o < outer; ++o) {
    CopyElements(src, (o * src_axis + src_start) * inner, dst, (o * dst_axis + dst_start) * inner, block);
  }
}

Tensor SliceAlongAxis(const Tensor& src, int64_t axis, int64_t index) {
  const size_t ax = static_cast<size_t>(axis);
  Shape slice_shape = src.shape();
  slice_shape.erase(slice_shape.begin() + static_cast<std::ptrdiff_t>(ax));
  if (SizeFromDim(src.shape(), 0, ax) == 1) {
    // Leading dims are all 1: the slice is one contiguous block of src.
    const int64_t offset = index * SizeFromDim(src.shape(), ax + 1, src.shape().size());
    Tensor owner = src;
    char* base = static_cast<char*>(owner.raw_data());
    void* data = src.dtype() == DataType::kString
                     ? static_cast<void*>(owner.data<std::string>() + offset)
                     : static_cast<void*>(base + static_cast<size_t>(offset) * DataTypeSize(src.dtype()));
    return Tensor::Borrow(src.dtype(), std::move(slice_shape), data, std::make_shared<Tensor>(std::move(owner)));
  }
  Shape keep_rank = src.shape();
  keep_rank[ax] = 1;
  Tensor out = Tensor::Allocate(src.dtype(), keep_rank);
  CopyAlongAxis(src, index, out, 0, axis, 1);
  return out.Reshape(std::move(slice_shape));
}

Result<Tensor> StackAlongNewAxis(const std::vector<Tensor>& parts, int64_t axis) {
  const Tensor& first = parts.front();
  for (const Tensor& p : parts) {
    if (p.dtype() != first.dtype() || p.shape() != first.shape()) {
      return Status::InvalidArgument("cannot stack tensors of different types or shapes: " +
                                     std::string(DataTypeName(first.dtype())) + ShapeToString(first.shape()) +
                                     " and " + std::string(DataTypeName(p.dtype())) + ShapeToString(p.shape()));
    }
  }
  const size_t ax = static_cast<size_t>(axis);
  Shape out_shape = first.shape();
  out_shape.insert(out_shape.begin() + static_cast<std::ptrdiff_t>(ax), static_cast<int64_t>(parts.size()));
  Tensor out = Tensor::Allocate(first.dtype(), out_shape);
  Shape part_shape = first.shape();
  part_shape.insert(part_shape.begin() + static_cast<std::ptrdiff_t>(ax), 1);
  for (size_t i = 0; i < parts.size(); ++i) {
    CopyAlongAxis(parts[i].Reshape(part_shape), 0, out, static_cast<int64_t>(i), axis, 1);
  }
  return out;
}

}  // namespace kiln::cpu
