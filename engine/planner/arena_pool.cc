#include "engine/planner/arena_pool.h"

#include <cstdlib>
#include <new>

#include "engine/planner/offset_assignment.h"

namespace kiln::planner {

Arena::Arena(size_t bytes) : size_(bytes) {
  size_t rounded = (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  if (rounded == 0) rounded = kArenaAlignment;
  void* p = std::aligned_alloc(kArenaAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  memory_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

std::unique_ptr<Arena> ArenaPool::Acquire(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Smallest idle arena that fits; failing that, drop the largest idle one
    // (its memory is about to be replaced by a bigger arena).
    size_t best = idle_.size();
    for (size_t i = 0; i < idle_.size(); ++i)
      if (idle_[i]->size() >= bytes && (best == idle_.size() || idle_[i]->size() < idle_[best]->size())) best = i;
    if (best < idle_.size()) {
      std::unique_ptr<Arena> arena = std::move(idle_[best]);
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(best));
      return arena;
    }
    if (!idle_.empty()) {
      size_t largest = 0;
      for (size_t i = 1; i < idle_.size(); ++i)
        if (idle_[i]->size() > idle_[largest]->size()) largest = i;
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(largest));
    }
  }
  return std::make_unique<Arena>(bytes);
}

void ArenaPool::Release(std::unique_ptr<Arena> arena) {
  if (arena == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(arena));
}

size_t ArenaPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

}  // namespace kiln::planner
