// ResponseSequencer: delivers responses in the order their requests were
// taken from the queue (dynamic batching's preserve_ordering), although
// model instances finish batches in any order.
//
// Each request taken gets the next sequence number (0, 1, 2, ...); a
// completion waits here until every earlier number was delivered. Exactly
// one thread delivers at a time, outside the lock, so callbacks run in
// order. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace kiln::server {

class ResponseSequencer {
 public:
  // Runs `deliver` (now, on this thread, or later on the thread completing
  // an earlier number) once all numbers before `sequence` were delivered.
  // Every number must be completed exactly once.
  void Complete(uint64_t sequence, std::function<void()> deliver);
  // Completions held back, waiting for an earlier one.
  size_t Waiting() const;

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, std::function<void()>> ready_;  // guarded by mutex_: completed, not yet delivered
  uint64_t next_ = 0;                                  // guarded by mutex_: next number to deliver
  bool delivering_ = false;                            // guarded by mutex_: a thread is running callbacks
};

}  // namespace kiln::server
