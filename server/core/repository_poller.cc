#include "server/core/repository_poller.h"

namespace kiln::server {

RepositoryPoller::RepositoryPoller(std::function<void()> poll, std::chrono::milliseconds period)
    : poll_(std::move(poll)), period_(period), thread_([this] { Loop(); }) {}

RepositoryPoller::~RepositoryPoller() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RepositoryPoller::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    poll_();
    lock.lock();
  }
}

}  // namespace kiln::server
