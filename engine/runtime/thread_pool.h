// ThreadPool: a fixed set of worker threads for intra-op parallelism.
//
// ParallelFor(n, grain, fn) splits [0, n) into chunks of at least `grain`
// items and calls fn(begin, end) once per chunk. The calling thread works
// too: it claims chunks from the same atomic counter as the workers, so a
// worker that is descheduled (the machine may be shared) simply leaves its
// share to the others, and the caller only ever waits for chunks a worker
// has already started. Idle workers sleep on a condition variable; nothing
// spins.
//
// A ParallelFor issued from inside a task (nested or recursive) runs inline
// on the calling thread, so kernels may call parallel helpers freely.
// Several threads may call ParallelFor on one pool at the same time (one
// Session serving concurrent requests); their jobs share the workers.
//
// On a busy machine a worker may be descheduled while it holds a chunk, and
// the caller then sleeps until it runs again. When the caller waited longer
// for its helpers than it worked itself, the pool runs the next jobs inline
// (1, 2, 4, ... up to 64 of them while that keeps happening) before it
// tries the workers again, so a contended machine costs little more than
// single-threaded execution.
//
// Exceptions thrown by fn are caught on the thread that ran the chunk; once
// one was thrown the remaining chunks are skipped and the first exception is
// rethrown to the caller of ParallelFor after every started chunk finished.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace kiln {

class ThreadPool {
 public:
  // A pool of `threads` threads in all: the caller of ParallelFor plus
  // threads - 1 workers. threads <= 1 starts no workers (everything inline).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that work on a ParallelFor: the workers plus the caller.
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n), each at least
  // `grain` long (except when n < grain: one chunk). Returns when all are done.
  template <typename F>
  void ParallelFor(int64_t n, int64_t grain, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    Run(n, grain, [](void* f, int64_t begin, int64_t end) { (*static_cast<Fn*>(f))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // CPUs this process may run on (sched_getaffinity), at least 1.
  static int AvailableCores();

 private:
  using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);
  struct Job;

  void Run(int64_t n, int64_t grain, ChunkFn fn, void* ctx);
  void WorkerLoop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // jobs that still want helpers
  bool stopping_ = false;
  // Back-off after a job whose caller waited on a descheduled helper: jobs
  // still to run inline, and how many the next stall skips.
  std::atomic<int> inline_jobs_left_{0};
  std::atomic<int> backoff_{1};
};

// ParallelFor on `pool`, or inline on the calling thread when pool is null.
template <typename F>
void ParallelFor(ThreadPool* pool, int64_t n, int64_t grain, F&& fn) {
  if (pool != nullptr) {
    pool->ParallelFor(n, grain, std::forward<F>(fn));
  } else if (n > 0) {
    fn(int64_t{0}, n);
  }
}

}  // namespace kiln
