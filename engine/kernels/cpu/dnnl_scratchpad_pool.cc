#include "engine/kernels/cpu/dnnl_scratchpad_pool.h"

#include <cstdint>
#include <new>
#include <utility>

#include "engine/kernels/cpu/dnnl_context.h"

namespace kiln::cpu {

DnnlScratchpadPool::Lease::~Lease() {
  if (pool_ != nullptr && buffer_.bytes) pool_->Return(std::move(buffer_));
}

Result<DnnlScratchpadPool::Lease> DnnlScratchpadPool::Acquire(const dnnl::memory::desc& desc) const {
  const size_t size = desc.get_size();
  Buffer buffer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      buffer = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (size > buffer.size) {
    // oneDNN wants 64-byte aligned scratchpads; new[] of std::byte gives 16,
    // so over-allocate and align the handle.
    buffer.bytes.reset(new (std::nothrow) std::byte[size + 64]);
    if (!buffer.bytes) return Status::ResourceExhausted("cannot allocate a " + std::to_string(size) + "-byte scratchpad");
    buffer.size = size;
  }
  void* handle = nullptr;
  if (size > 0) {
    const auto address = reinterpret_cast<std::uintptr_t>(buffer.bytes.get());
    handle = reinterpret_cast<void*>((address + 63) & ~static_cast<std::uintptr_t>(63));
  }
  dnnl::memory memory;
  KILN_RETURN_IF_ERROR(DnnlCatch("scratchpad", [&] { memory = dnnl::memory(desc, DnnlEngine(), handle); }));
  return Lease(this, std::move(buffer), std::move(memory));
}

void DnnlScratchpadPool::Return(Buffer buffer) const {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(buffer));
}

size_t DnnlScratchpadPool::idle_buffers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

}  // namespace kiln::cpu
