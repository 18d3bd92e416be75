// RequestBuffer: the bytes of one HTTP request body, in storage that tensors
// may borrow (Tensor::Borrow) for as long as they hold a shared_ptr to it.
//
// The storage is over-allocated so that one chosen offset (where the binary
// tensor data of a KServe v2 request begins, known from the
// Inference-Header-Content-Length header before the body arrives) lands on a
// 64-byte boundary: tensors borrowed from there are as aligned as the
// engine's own allocations. Filled once by the HTTP reader, then read-only
// (tensors get a non-const pointer because Tensor::Borrow takes one, but
// nothing writes through it). Not thread-safe while being filled.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace kiln::server {

class RequestBuffer {
 public:
  static constexpr size_t kAlignment = 64;

  // `aligned_offset`: the body offset that should be 64-byte aligned.
  explicit RequestBuffer(size_t aligned_offset = 0) : aligned_offset_(aligned_offset) {}
  RequestBuffer(const RequestBuffer&) = delete;
  RequestBuffer& operator=(const RequestBuffer&) = delete;

  // Makes room for `capacity` bytes in total (keeps what is there).
  void Reserve(size_t capacity);
  // Appends bytes, growing the storage as needed.
  void Append(const void* data, size_t size);

  char* data() { return begin_; }
  const char* data() const { return begin_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {begin_, size_}; }

 private:
  size_t aligned_offset_;
  std::unique_ptr<char[]> storage_;
  char* begin_ = nullptr;  // inside storage_, placed for the alignment above
  size_t size_ = 0;
  size_t capacity_ = 0;  // usable bytes from begin_
};

}  // namespace kiln::server
