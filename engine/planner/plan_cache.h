// PlanCache: memory plans by input-shape signature, least recently used
// evicted beyond a fixed capacity (a server seeing many sequence lengths
// keeps the most recent ones planned without growing without bound).
// A repeated shape costs one hash lookup.
//
// Thread-safe; plans are shared with the runs using them (an evicted plan
// lives until its last run ends).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "engine/planner/memory_plan.h"
#include "engine/planner/shape_signature.h"

namespace kiln::planner {

class PlanCache {
 public:
  // capacity >= 1.
  explicit PlanCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The plan for `sig`, or null; marks it most recently used.
  std::shared_ptr<const MemoryPlan> Find(const ShapeSignature& sig);
  // Stores `plan` for `sig` unless one is there already; returns the stored one.
  std::shared_ptr<const MemoryPlan> Insert(const ShapeSignature& sig, std::shared_ptr<const MemoryPlan> plan);

  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<ShapeSignature, std::shared_ptr<const MemoryPlan>>;

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first; guarded by mutex_
  std::unordered_map<ShapeSignature, std::list<Entry>::iterator, ShapeSignatureHash> index_;  // guarded by mutex_
};

}  // namespace kiln::planner
