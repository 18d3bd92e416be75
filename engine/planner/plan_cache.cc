#include "engine/planner/plan_cache.h"

namespace kiln::planner {

std::shared_ptr<const MemoryPlan> PlanCache::Find(const ShapeSignature& sig) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(sig);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->second;
}

std::shared_ptr<const MemoryPlan> PlanCache::Insert(const ShapeSignature& sig,
                                                    std::shared_ptr<const MemoryPlan> plan) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(sig);
  if (it != index_.end()) {
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->second;
  }
  entries_.emplace_front(sig, std::move(plan));
  index_[sig] = entries_.begin();
  while (entries_.size() > capacity_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
  return entries_.front().second;
}

size_t PlanCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace kiln::planner
