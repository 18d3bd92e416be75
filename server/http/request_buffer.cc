#include "server/http/request_buffer.h"

#include <cstdint>
#include <cstring>

namespace kiln::server {

void RequestBuffer::Reserve(size_t capacity) {
  if (capacity <= capacity_) return;
  auto storage = std::make_unique<char[]>(capacity + kAlignment);
  // Choose begin so that begin + aligned_offset_ is a multiple of kAlignment.
  const auto base = reinterpret_cast<uintptr_t>(storage.get());
  const size_t shift = (kAlignment - (base + aligned_offset_) % kAlignment) % kAlignment;
  char* begin = storage.get() + shift;
  if (size_ > 0) std::memcpy(begin, begin_, size_);
  storage_ = std::move(storage);
  begin_ = begin;
  capacity_ = capacity;
}

void RequestBuffer::Append(const void* data, size_t size) {
  if (size == 0) return;
  if (size_ + size > capacity_) Reserve(std::max(size_ + size, capacity_ * 2));
  std::memcpy(begin_ + size_, data, size);
  size_ += size;
}

}  // namespace kiln::server
