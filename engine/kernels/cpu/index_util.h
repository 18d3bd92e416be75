// Helpers shared by the indexing kernels (Gather*, Scatter*, Compress, ...):
// reading int32/int64 index tensors, wrapping negative indices, and copying
// elements of any dtype without instantiating a kernel per element type.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

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

// Row-major strides of a shape, in elements.
inline std::vector<int64_t> StridesOf(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
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

}  // namespace kiln::cpu
