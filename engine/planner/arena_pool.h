// ArenaPool: the memory arenas that planned runs place their intermediate
// tensors in. Each run takes an arena of its own for its whole duration
// (concurrent Session::Run calls never share one) and gives it back
// afterwards, so a steady stream of runs reuses the same, already faulted-in
// pages instead of allocating and freeing every tensor.
//
// Thread-safe. Arenas handed out must be given back before the pool dies.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace kiln::planner {

class Arena {
 public:
  // Uninitialised, kArenaAlignment-aligned storage of at least `bytes`.
  // Throws std::bad_alloc when the memory is not available.
  explicit Arena(size_t bytes);

  char* data() const { return static_cast<char*>(memory_.get()); }
  size_t size() const { return size_; }
  // Keeps the memory alive for tensors that borrow it.
  const std::shared_ptr<void>& owner() const { return memory_; }

 private:
  std::shared_ptr<void> memory_;
  size_t size_;
};

class ArenaPool {
 public:
  // Keeps at most `max_idle` arenas between runs (more are freed).
  explicit ArenaPool(size_t max_idle = 8) : max_idle_(max_idle) {}

  // An arena of at least `bytes` (an idle one when one is big enough,
  // otherwise a new one replacing the largest idle one).
  std::unique_ptr<Arena> Acquire(size_t bytes);
  void Release(std::unique_ptr<Arena> arena);

  size_t idle_count() const;

 private:
  const size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Arena>> idle_;  // guarded by mutex_
};

}  // namespace kiln::planner
