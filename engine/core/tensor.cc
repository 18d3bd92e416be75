#include "engine/core/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <stdexcept>

namespace kiln {

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  os << ']';
  return os.str();
}

namespace {

std::shared_ptr<void> AllocateNumeric(size_t bytes, bool zeroed) {
  constexpr size_t kAlign = 64;
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) throw std::bad_alloc();
  if (zeroed) std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

// Storage larger than this is refused outright: no machine has it, and such
// sizes come from hostile or corrupt shape values.
constexpr uint64_t kMaxStorageBytes = uint64_t{1} << 40;

// The element count of `shape`. Throws std::bad_alloc when the count or its
// byte size overflows or exceeds kMaxStorageBytes (the executor reports that
// as ResourceExhausted), std::invalid_argument for a negative dimension.
int64_t CheckedNumElements(const Shape& shape, DataType dtype) {
  uint64_t n = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("tensor shape " + ShapeToString(shape) + " has a negative dimension");
    overflow = overflow || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n);
  }
  if (n == 0) return 0;
  uint64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(n, std::max<uint64_t>(DataTypeSize(dtype), 1), &bytes);
  if (overflow || bytes > kMaxStorageBytes) throw std::bad_alloc();
  return static_cast<int64_t>(n);
}

}  // namespace

Tensor Tensor::Allocate(DataType dtype, Shape shape, bool zeroed) {
  Tensor t;
  t.dtype_ = dtype;
  t.num_elements_ = CheckedNumElements(shape, dtype);
  t.shape_ = std::move(shape);
  if (dtype == DataType::kString) {
    auto strings = std::shared_ptr<std::string[]>(new std::string[std::max<int64_t>(t.num_elements_, 1)]);
    t.data_ = strings.get();
    t.storage_ = std::shared_ptr<void>(strings, strings.get());
  } else {
    t.storage_ = AllocateNumeric(static_cast<size_t>(t.num_elements_) * DataTypeSize(dtype), zeroed);
    t.data_ = t.storage_.get();
  }
  return t;
}

Tensor Tensor::Borrow(DataType dtype, Shape shape, void* data, std::shared_ptr<void> owner) {
  Tensor t;
  t.dtype_ = dtype;
  t.num_elements_ = NumElements(shape);
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.storage_ = std::move(owner);
  return t;
}

template <>
Tensor Tensor::FromVector<bool>(Shape shape, const std::vector<bool>& values) {
  Tensor t = Allocate(DataType::kBool, std::move(shape));
  bool* p = t.data<bool>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.num_elements(); ++i) p[i] = values[i];
  return t;
}

Tensor Tensor::Reshape(Shape shape) const {
  Tensor t = *this;
  t.num_elements_ = NumElements(shape);
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::Clone() const {
  if (!defined()) return Tensor();
  Tensor t = Allocate(dtype_, shape_);
  if (dtype_ == DataType::kString) {
    for (int64_t i = 0; i < num_elements_; ++i) t.data<std::string>()[i] = data<std::string>()[i];
  } else if (byte_size() > 0) {
    std::memcpy(t.data_, data_, byte_size());
  }
  return t;
}

int64_t Tensor::GetInt(int64_t i) const {
  int64_t out = 0;
  (void)DispatchType<NumericAndBoolTypes>(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      out = static_cast<int64_t>(static_cast<double>(data<T>()[i]));
    } else {
      out = static_cast<int64_t>(data<T>()[i]);
    }
  });
  return out;
}

double Tensor::GetDouble(int64_t i) const {
  double out = 0;
  (void)DispatchType<NumericAndBoolTypes>(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      out = static_cast<double>(static_cast<float>(data<T>()[i]));
    } else {
      out = static_cast<double>(data<T>()[i]);
    }
  });
  return out;
}

std::vector<int64_t> Tensor::ToInt64Vector() const {
  std::vector<int64_t> v(static_cast<size_t>(num_elements_));
  if (dtype_ == DataType::kInt64) {
    if (num_elements_ > 0) std::memcpy(v.data(), data_, v.size() * sizeof(int64_t));
    return v;
  }
  for (int64_t i = 0; i < num_elements_; ++i) v[static_cast<size_t>(i)] = GetInt(i);
  return v;
}

}  // namespace kiln
