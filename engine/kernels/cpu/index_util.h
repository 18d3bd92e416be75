// Helpers shared by the indexing kernels (Gather*, Scatter*, Compress, ...):
// reading int32/int64 index tensors, wrapping negative indices, and copying
// elements of any dtype without instantiating a kernel per element type.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {

// The elements of an int32 or int64 index tensor as int64. int64 data is
// read in place; int32 data is widened once.
class IndexView {
 public:
  static Result<IndexView> From(const Tensor& t, const std::string& what) {
    IndexView view;
    view.size_ = t.num_elements();
    if (t.dtype() == DataType::kInt64) {
      view.borrowed_ = t.data<int64_t>();
    } else if (t.dtype() == DataType::kInt32) {
      const int32_t* p = t.data<int32_t>();
      view.widened_.assign(p, p + view.size_);
    } else {
      return Status::InvalidArgument(what + " must be int32 or int64, got " + std::string(DataTypeName(t.dtype())));
    }
    return view;
  }

  int64_t size() const { return size_; }
  int64_t operator[](int64_t i) const {
    return borrowed_ != nullptr ? borrowed_[i] : widened_[static_cast<size_t>(i)];
  }

 private:
  const int64_t* borrowed_ = nullptr;
  std::vector<int64_t> widened_;
  int64_t size_ = 0;
};

// Maps `index` from [-dim, dim) into [0, dim). Returns false when out of range.
inline bool WrapIndex(int64_t& index, int64_t dim) {
  if (index < -dim || index >= dim) return false;
  if (index < 0) index += dim;
  return true;
}

inline Status IndexOutOfRange(int64_t index, int64_t dim, const std::string& what = "index") {
  return Status::InvalidArgument(what + " " + std::to_string(index) + " is out of range for a dimension of size " +
                                 std::to_string(dim));
}

// a < b, with NaN after every number and equal to other NaNs: a strict weak
// order, so values with NaN can be sorted safely.
template <typename C>
bool LessNanLast(const C& a, const C& b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// GatherElements / ScatterElements addressing: `indices` has data's rank and
// fits data's shape outside `axis`, and each of its elements picks a position
// along the axis. Validates that and returns the flat data offset of every
// indices element, in row-major order.
inline Result<std::vector<int64_t>> ElementOffsetsAlongAxis(const Shape& data_shape, const Tensor& indices_tensor,
                                                            int64_t axis_attr) {
  const int rank = static_cast<int>(data_shape.size());
  if (rank == 0) return ShapeError("data must have rank >= 1");
  if (indices_tensor.rank() != rank) {
    return ShapeError("indices rank " + std::to_string(indices_tensor.rank()) + " differs from data rank " +
                      std::to_string(rank));
  }
  KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_attr, rank));
  const Shape& ishape = indices_tensor.shape();
  for (size_t d = 0; d < data_shape.size(); ++d) {
    if (static_cast<int64_t>(d) != axis && ishape[d] > data_shape[d]) {
      return ShapeError("indices shape " + ShapeToString(ishape) + " exceeds data shape " +
                        ShapeToString(data_shape) + " outside the axis");
    }
  }
  KILN_ASSIGN_OR_RETURN(const IndexView indices, IndexView::From(indices_tensor, "indices"));

  const std::vector<int64_t> dstrides = ContiguousStrides(data_shape);
  const int64_t axis_dim = data_shape[static_cast<size_t>(axis)];
  const int64_t axis_stride = dstrides[static_cast<size_t>(axis)];
  std::vector<int64_t> offsets(static_cast<size_t>(indices.size()));
  // Walk the indices in row-major order, tracking the data offset of the
  // current position with the axis coordinate left out.
  std::vector<int64_t> coord(static_cast<size_t>(rank), 0);
  int64_t base = 0;
  for (int64_t i = 0; i < indices.size(); ++i) {
    int64_t index = indices[i];
    if (!WrapIndex(index, axis_dim)) return IndexOutOfRange(indices[i], axis_dim);
    offsets[static_cast<size_t>(i)] = base + index * axis_stride;
    for (int d = rank - 1; d >= 0; --d) {
      const auto du = static_cast<size_t>(d);
      const int64_t step = d == axis ? 0 : dstrides[du];
      if (++coord[du] < ishape[du]) {
        base += step;
        break;
      }
      base -= step * (coord[du] - 1);
      coord[du] = 0;
    }
  }
  return offsets;
}

// GatherND / ScatterND addressing: the last dimension k of `ishape` holds
// index tuples into dimensions [batch_dims, batch_dims + k) of data, whose
// first batch_dims dimensions match those of indices. Validates the indices
// (negative ones count from the end) and returns the flat data offset of the
// slice each tuple picks, in row-major order of the tuples.
inline Result<std::vector<int64_t>> IndexTupleOffsets(const Shape& dshape, const Shape& ishape,
                                                      const IndexView& indices, size_t batch_dims) {
  const int64_t k = ishape.back();
  const auto ku = static_cast<size_t>(k);
  const int64_t batches = SizeFromDim(dshape, 0, batch_dims);
  const int64_t tuples_per_batch = SizeFromDim(ishape, batch_dims, ishape.size() - 1);
  const int64_t batch_stride = SizeFromDim(dshape, batch_dims, dshape.size());
  // Offset in elements of one step along each indexed dimension.
  std::vector<int64_t> steps(ku);
  for (size_t j = 0; j < ku; ++j) steps[j] = SizeFromDim(dshape, batch_dims + j + 1, dshape.size());

  std::vector<int64_t> offsets(static_cast<size_t>(batches * tuples_per_batch));
  for (int64_t t = 0; t < batches * tuples_per_batch; ++t) {
    int64_t offset = (t / tuples_per_batch) * batch_stride;
    for (size_t j = 0; j < ku; ++j) {
      const int64_t dim = dshape[batch_dims + j];
      int64_t index = indices[t * k + static_cast<int64_t>(j)];
      if (!WrapIndex(index, dim)) return IndexOutOfRange(index, dim);
      offset += index * steps[j];
    }
    offsets[static_cast<size_t>(t)] = offset;
  }
  return offsets;
}

// A 16-byte element (complex128) for byte-wise copies.
struct alignas(16) Bytes16 {
  unsigned char bytes[16];
};

// Calls f(TypeTag<T>{}) with a type that copies like dtype's elements: an
// unsigned integer (or Bytes16) of the same size for fixed-size types and
// std::string for strings. For kernels that only move elements around.
template <typename F>
Status DispatchByElementSize(DataType dtype, F&& f) {
  auto call = [&](auto tag) -> Status {
    if constexpr (std::is_same_v<decltype(f(tag)), void>) {
      f(tag);
      return Status::Ok();
    } else {
      return f(tag);
    }
  };
  if (dtype == DataType::kString) return call(TypeTag<std::string>{});
  switch (DataTypeSize(dtype)) {
    case 1: return call(TypeTag<uint8_t>{});
    case 2: return call(TypeTag<uint16_t>{});
    case 4: return call(TypeTag<uint32_t>{});
    case 8: return call(TypeTag<uint64_t>{});
    case 16: return call(TypeTag<Bytes16>{});
    default:
      return Status::Unimplemented("data type " + std::string(DataTypeName(dtype)) + " is not supported here");
  }
}

// Views `src` as outer x axis_dim x inner and, for each outer block, copies
// the slices at positions `slices` (each in [0, axis_dim)) one after another
// into `dst`. Any dtype.
inline Status CopySlicesAlongAxis(const Tensor& src, int64_t outer, int64_t axis_dim, int64_t inner,
                                  const std::vector<int64_t>& slices, Tensor& dst) {
  return DispatchByElementSize(src.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = src.data<T>();
    T* out = dst.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      const T* block = in + o * axis_dim * inner;
      for (int64_t s : slices) {
        std::copy_n(block + s * inner, inner, out);
        out += inner;
      }
    }
  });
}

}  // namespace kiln::cpu
