// DnnlPrimitiveCache<V>: a small, bounded, thread-safe map from an input
// shape key (the dimensions of a kernel's inputs, concatenated) to what a
// oneDNN kernel built for that shape (primitive descriptor, primitive,
// scratch layouts...). A kernel owns one; Compute looks the shape up and
// builds the entry only on a miss, so a repeated shape costs one short
// locked lookup.
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
#include <vector>

#include "engine/core/status.h"

namespace kiln::cpu {

using DnnlShapeKey = std::vector<int64_t>;

template <typename V>
class DnnlPrimitiveCache {
 public:
  explicit DnnlPrimitiveCache(size_t capacity = 32) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry for `key`, building it with `build()` -> Result<V> on a miss.
  template <typename Build>
  Result<std::shared_ptr<const V>> GetOrBuild(const DnnlShapeKey& key, Build&& build) {
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
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::map<DnnlShapeKey, std::shared_ptr<const V>> entries_;  // guarded by mutex_
  std::deque<DnnlShapeKey> order_;                            // insertion order, guarded by mutex_
};

}  // namespace kiln::cpu
