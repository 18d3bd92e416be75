// BlockingWorker: one thread that runs slow, blocking jobs (model load and
// unload through the repository API) so that HTTP I/O threads never wait
// for them. Jobs run one at a time, in order.
//
// Thread-safe: Post from any thread. The destructor runs the jobs already
// posted, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace kiln::server {

class BlockingWorker {
 public:
  BlockingWorker();
  ~BlockingWorker();
  BlockingWorker(const BlockingWorker&) = delete;
  BlockingWorker& operator=(const BlockingWorker&) = delete;

  void Post(std::function<void()> job);

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::thread thread_;                      // last: starts after the rest is ready
};

}  // namespace kiln::server
