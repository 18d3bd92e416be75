#include "engine/runtime/thread_pool.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace kiln {
namespace {

// More chunks than threads, so that a thread that falls behind (descheduled
// on a busy machine) costs at most a small chunk of waiting.
constexpr int64_t kChunksPerThread = 8;

// True while this thread runs chunks of a ParallelFor: nested calls run inline.
thread_local bool t_in_parallel_task = false;

// Longest run of inline jobs after repeated stalls.
constexpr int kMaxBackoff = 64;

}  // namespace

struct ThreadPool::Job {
  ChunkFn fn = nullptr;
  void* ctx = nullptr;
  int64_t n = 0;
  int64_t chunk_size = 0;
  int64_t num_chunks = 0;

  std::atomic<int64_t> next_chunk{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards error
  std::exception_ptr error;

  // Claims and runs chunks until none are left to claim. Never throws.
  void Work() {
    const bool was_in_task = t_in_parallel_task;
    t_in_parallel_task = true;
    for (;;) {
      const int64_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= num_chunks) break;
      if (failed.load(std::memory_order_relaxed)) continue;
      const int64_t begin = chunk * chunk_size;
      try {
        fn(ctx, begin, std::min(n, begin + chunk_size));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
      }
    }
    t_in_parallel_task = was_in_task;
  }
};

int ThreadPool::AvailableCores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(CPU_COUNT(&set), 1);
#endif
  return std::max(static_cast<int>(std::thread::hardware_concurrency()), 1);
}

void ThreadPool::Run(int64_t n, int64_t grain, ChunkFn fn, void* ctx) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = static_cast<int64_t>(threads_) * kChunksPerThread;
  int64_t num_chunks = std::min((n + grain - 1) / grain, max_chunks);
  if (num_chunks <= 1 || threads_ <= 1 || t_in_parallel_task || omp_in_parallel()) {
    fn(ctx, 0, n);
    return;
  }
  if (inline_jobs_left_.load(std::memory_order_relaxed) > 0) {
    // Backing off after a stall (approximate under concurrent callers).
    inline_jobs_left_.fetch_sub(1, std::memory_order_relaxed);
    fn(ctx, 0, n);
    return;
  }
  Job job;
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.chunk_size = std::max(grain, (n + num_chunks - 1) / num_chunks);
  job.num_chunks = num_chunks = (n + job.chunk_size - 1) / job.chunk_size;
  const int team = static_cast<int>(std::min<int64_t>(threads_, num_chunks));

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point worked_until = start;
#pragma omp parallel num_threads(team)
  {
    job.Work();
    if (omp_get_thread_num() == 0) worked_until = Clock::now();
  }
  // Without stalls the caller waits at most for one chunk a member started
  // late; waiting longer than its own share took means a member was
  // descheduled mid-chunk.
  if (Clock::now() - worked_until > worked_until - start) {
    const int backoff = backoff_.load(std::memory_order_relaxed);
    inline_jobs_left_.store(backoff, std::memory_order_relaxed);
    backoff_.store(std::min(backoff * 2, kMaxBackoff), std::memory_order_relaxed);
  } else {
    backoff_.store(1, std::memory_order_relaxed);
  }
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace kiln
