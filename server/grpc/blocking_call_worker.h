// BlockingCallWorker: one thread that runs the few service calls that block
// for a long time (model load/unload), so they never hold one of gRPC's
// callback threads. Tasks run in submission order.
//
// Thread-safe: Submit may be called from any thread. Stop() (also run by the
// destructor) finishes every task already submitted, then joins; a task
// submitted after Stop runs inline on the caller's thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace kiln::server {

class BlockingCallWorker {
 public:
  BlockingCallWorker();
  ~BlockingCallWorker();
  BlockingCallWorker(const BlockingCallWorker&) = delete;
  BlockingCallWorker& operator=(const BlockingCallWorker&) = delete;

  void Submit(std::function<void()> task);
  void Stop();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::thread thread_;
};

}  // namespace kiln::server
