// DnnlPrimitiveCache<V>: a small, bounded, thread-safe map from a run's
// thread count and an input shape key (the dimensions of a kernel's inputs,
// concatenated) to what a oneDNN kernel built for them (primitive
// descriptor, primitive, scratch layouts...). A kernel owns one; Compute
// looks the shape up and builds the entry only on a miss, so a repeated
// shape costs one short locked lookup. The thread count is part of the key
// because most oneDNN primitives fix theirs when created, and a session
// runs either with all its threads or with one (runtime/thread_count_chooser.h).
//
// Bounded: at most `capacity` entries; the oldest inserted is dropped first
// (models with dynamic shapes should not grow memory without limit). Entries
// are shared_ptr<const V>, so a dropped entry stays alive for callers still
// using it. Two threads missing the same key at once may both build it; the
// first insert wins and both results are valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/core/status.h"

namespace kiln::cpu {

using DnnlShapeKey = std::vector<int64_t>;

template <typename V>
class DnnlPrimitiveCache {
 public:
  explicit DnnlPrimitiveCache(size_t capacity = 32) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry for `shape` at `threads` (the run's thread count, as
  // DnnlSessionThreads gives it), building it with `build()` -> Result<V> on
  // a miss; `build` should create the primitives for that thread count.
  template <typename Build>
  Result<std::shared_ptr<const V>> GetOrBuild(int threads, const DnnlShapeKey& shape, Build&& build) {
    Key key{threads, shape};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end()) return it->second;
    }
    KILN_ASSIGN_OR_RETURN(V value, build());
    auto entry = std::make_shared<const V>(std::move(value));
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = entries_.emplace(key, entry);
    if (!inserted) return it->second;
    order_.push_back(key);
    while (entries_.size() > capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    return entry;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }

 private:
  using Key = std::pair<int, DnnlShapeKey>;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<const V>> entries_;  // guarded by mutex_
  std::deque<Key> order_;                            // insertion order, guarded by mutex_
};

}  // namespace kiln::cpu
