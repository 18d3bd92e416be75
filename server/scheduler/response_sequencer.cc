#include "server/scheduler/response_sequencer.h"

#include <vector>

namespace kiln::server {

void ResponseSequencer::Complete(uint64_t sequence, std::function<void()> deliver) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.emplace(sequence, std::move(deliver));
  if (delivering_) return;  // the delivering thread will pick it up
  delivering_ = true;
  for (;;) {
    std::vector<std::function<void()>> batch;
    for (auto it = ready_.begin(); it != ready_.end() && it->first == next_; it = ready_.erase(it)) {
      batch.push_back(std::move(it->second));
      ++next_;
    }
    if (batch.empty()) break;
    lock.unlock();
    for (auto& callback : batch) callback();
    lock.lock();
  }
  delivering_ = false;
}

size_t ResponseSequencer::Waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ready_.size();
}

}  // namespace kiln::server
