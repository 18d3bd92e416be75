// ThreadPool: intra-op parallelism for Kiln's own kernels, on the same
// OpenMP worker threads that oneDNN's primitives use.
//
// ParallelFor(n, grain, fn) splits [0, n) into chunks of at least `grain`
// items and calls fn(begin, end) once per chunk. The team is the calling
// thread plus OpenMP workers (libgomp keeps one set per calling thread);
// every member claims chunks from one atomic counter, so a member that
// starts late (descheduled on a busy machine) leaves its share to the
// others.
//
// Why OpenMP and not threads of our own: one set of workers per session
// thread, shared with oneDNN. Two sets would compete for the same cores,
// and a worker that slept on a condition variable cost a wake-up per
// parallel loop (60-170 µs on this project's VM). libgomp's workers spin
// briefly after a region (GOMP_SPINCOUNT, which the kiln binary sets, see
// tools/kiln/openmp_wait_policy.h) and then sleep, so nothing spins while
// idle.
//
// A ParallelFor issued from inside a task (nested or recursive) runs inline
// on the calling thread, so kernels may call parallel helpers freely.
// Several threads may call ParallelFor on one pool at the same time (one
// Session serving concurrent requests); each gets its own team.
//
// On a busy machine a team member may be descheduled while it holds a
// chunk, and the caller then waits for it. When the caller waited longer for
// its team than it worked itself, the pool runs the next jobs inline (1, 2,
// 4, ... up to 64 of them while that keeps happening) before it tries the
// team again, so a contended machine costs little more than single-threaded
// execution (the Session's ThreadCountChooser handles lasting contention).
//
// Exceptions thrown by fn are caught on the thread that ran the chunk; once
// one was thrown the remaining chunks are skipped and the first exception is
// rethrown to the caller of ParallelFor after every started chunk finished.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace kiln {

class ThreadPool {
 public:
  // A pool of `threads` threads in all: the caller of ParallelFor plus
  // threads - 1 OpenMP workers. threads <= 1: everything inline.
  explicit ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {}
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that work on a ParallelFor: the workers plus the caller.
  int size() const { return threads_; }

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

  const int threads_;
  // Back-off after a job whose caller waited on a descheduled team member:
  // jobs still to run inline, and how many the next stall skips.
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
