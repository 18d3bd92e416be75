// RepositoryPoller: poll mode's clock — a thread that calls `poll` (usually
// ModelServer::PollRepository) every `period` until destroyed. A poll in
// progress finishes before the destructor returns; the destructor never
// waits out a whole period. Owned by whoever runs the server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace kiln::server {

class RepositoryPoller {
 public:
  RepositoryPoller(std::function<void()> poll, std::chrono::milliseconds period);
  ~RepositoryPoller();
  RepositoryPoller(const RepositoryPoller&) = delete;
  RepositoryPoller& operator=(const RepositoryPoller&) = delete;

 private:
  void Loop();

  std::function<void()> poll_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace kiln::server
