#include "engine/planner/tensor_bytes.h"

#include <sys/mman.h>

#include <new>

namespace kiln::planner {

int64_t CheckedTensorBytes(DataType dtype, const Shape& shape) {
  uint64_t n = DataTypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return -1;
  }
  return n > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(n);
}

Tensor AllocateMapped(DataType dtype, Shape shape, size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  std::shared_ptr<void> owner(p, [bytes](void* q) { ::munmap(q, bytes); });
  return Tensor::Borrow(dtype, std::move(shape), p, std::move(owner));
}

}  // namespace kiln::planner
