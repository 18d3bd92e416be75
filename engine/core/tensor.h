// Tensor: a typed, shaped, reference-counted view of CPU memory.
//
// Copying a Tensor is cheap and shares the storage (like a shared_ptr);
// Clone() makes a deep copy. Numeric storage from Allocate is 64-byte
// aligned; borrowed storage (Borrow: initializers pointing into the mapped
// model file, slices of a run's memory arena) is only guaranteed to be
// aligned to its element size, so kernels must not assume more. String
// tensors hold std::string elements. A default-constructed Tensor is
// "undefined" (no dtype, no storage).
// Thread-safety: distinct Tensor objects may be used from different threads;
// writing shared storage from several threads needs outside synchronisation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/dtype.h"

namespace kiln {

using Shape = std::vector<int64_t>;

// Product of the dimensions (1 for a scalar).
int64_t NumElements(const Shape& shape);
// "[2,3,4]"
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;

  // New storage for NumElements(shape) elements. Numeric data is zeroed when
  // `zeroed` is true and left uninitialised otherwise; strings start empty.
  static Tensor Allocate(DataType dtype, Shape shape, bool zeroed = false);
  // A tensor over memory that `owner` keeps alive (a mapped file, an arena).
  static Tensor Borrow(DataType dtype, Shape shape, void* data, std::shared_ptr<void> owner);

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({}, {value}); }

  bool defined() const { return dtype_ != DataType::kUndefined; }
  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t num_elements() const { return num_elements_; }
  // Bytes of element storage (0 for strings).
  size_t byte_size() const { return static_cast<size_t>(num_elements_) * DataTypeSize(dtype_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }

  // A tensor sharing this storage with another shape of equal element count.
  Tensor Reshape(Shape shape) const;
  // A deep copy with its own storage.
  Tensor Clone() const;
  // True when both views share storage.
  bool SharesStorageWith(const Tensor& other) const { return storage_ == other.storage_; }

  template <typename T>
  std::vector<T> ToVector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + num_elements_);
  }
  // Element i converted to int64 / double (numeric and bool dtypes only).
  int64_t GetInt(int64_t i) const;
  double GetDouble(int64_t i) const;
  // All elements converted to int64 (for shape-like inputs).
  std::vector<int64_t> ToInt64Vector() const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  int64_t num_elements_ = 0;
  void* data_ = nullptr;
  std::shared_ptr<void> storage_;
};

template <typename T>
Tensor Tensor::FromVector(Shape shape, const std::vector<T>& values) {
  Tensor t = Allocate(kDataTypeOf<T>, std::move(shape));
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) p[i] = values[i];
  return t;
}

// std::vector<bool> has no data(); specialise to a byte copy.
template <>
Tensor Tensor::FromVector<bool>(Shape shape, const std::vector<bool>& values);

}  // namespace kiln
