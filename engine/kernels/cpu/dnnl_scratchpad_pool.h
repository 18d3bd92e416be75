// DnnlScratchpadPool: the scratchpad memory of a kernel's oneDNN primitives
// (created with scratchpad_mode::user, so concurrent executions of one
// primitive never share oneDNN's internal buffer), kept between runs.
// Allocating and freeing it on every execution cost about 3 % of a small
// int8 network (malloc of 10-400 KiB blocks, heap consolidation). Each
// concurrent execution leases its own buffer; buffers return to the pool
// when the lease ends and grow to the largest size asked for. A pool holds
// at most as many buffers as executions ever ran at once.
//
// Thread-safety: Acquire may be called from several threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"

namespace kiln::cpu {

class DnnlScratchpadPool {
 public:
  struct Buffer {
    std::unique_ptr<std::byte[]> bytes;
    size_t size = 0;
  };

  // A scratchpad for one execution; gives its buffer back when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    // A oneDNN memory of the descriptor given to Acquire, over the buffer.
    const dnnl::memory& memory() const { return memory_; }

   private:
    friend class DnnlScratchpadPool;
    Lease(const DnnlScratchpadPool* pool, Buffer buffer, dnnl::memory memory)
        : pool_(pool), buffer_(std::move(buffer)), memory_(std::move(memory)) {}
    const DnnlScratchpadPool* pool_;
    Buffer buffer_;
    dnnl::memory memory_;
  };

  DnnlScratchpadPool() = default;
  DnnlScratchpadPool(const DnnlScratchpadPool&) = delete;
  DnnlScratchpadPool& operator=(const DnnlScratchpadPool&) = delete;

  // A scratchpad of `desc` (a primitive descriptor's scratchpad_desc();
  // an empty descriptor gives an empty memory).
  Result<Lease> Acquire(const dnnl::memory::desc& desc) const;

  // Buffers currently idle in the pool (for tests).
  size_t idle_buffers() const;

 private:
  void Return(Buffer buffer) const;

  mutable std::mutex mutex_;
  mutable std::vector<Buffer> idle_;  // guarded by mutex_
};

}  // namespace kiln::cpu
