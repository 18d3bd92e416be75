#include "engine/runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>

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
  int helpers_wanted = 0;  // guarded by the pool's mutex

  std::atomic<int64_t> next_chunk{0};
  std::atomic<int64_t> finished_chunks{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards error; pairs with done
  std::condition_variable done;
  std::exception_ptr error;

  // Claims and runs chunks until none are left to claim.
  void Work() {
    const bool was_in_task = t_in_parallel_task;
    t_in_parallel_task = true;
    for (;;) {
      const int64_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= num_chunks) break;
      if (!failed.load(std::memory_order_relaxed)) {
        const int64_t begin = chunk * chunk_size;
        try {
          fn(ctx, begin, std::min(n, begin + chunk_size));
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!error) error = std::current_exception();
          failed.store(true, std::memory_order_relaxed);
        }
      }
      if (finished_chunks.fetch_add(1, std::memory_order_acq_rel) + 1 == num_chunks) {
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_all();
      }
    }
    t_in_parallel_task = was_in_task;
  }

  void WaitUntilDone() {
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] { return finished_chunks.load(std::memory_order_acquire) == num_chunks; });
  }
};

ThreadPool::ThreadPool(int threads) {
  const int workers = std::max(threads, 1) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

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
  const int64_t max_chunks = static_cast<int64_t>(size()) * kChunksPerThread;
  int64_t num_chunks = std::min((n + grain - 1) / grain, max_chunks);
  if (num_chunks <= 1 || workers_.empty() || t_in_parallel_task) {
    fn(ctx, 0, n);
    return;
  }
  if (inline_jobs_left_.load(std::memory_order_relaxed) > 0) {
    // Backing off after a stall (approximate under concurrent callers).
    inline_jobs_left_.fetch_sub(1, std::memory_order_relaxed);
    fn(ctx, 0, n);
    return;
  }
  const int64_t chunk_size = std::max(grain, (n + num_chunks - 1) / num_chunks);
  num_chunks = (n + chunk_size - 1) / chunk_size;

  auto job = std::make_shared<Job>();
  job->fn = fn;
  job->ctx = ctx;
  job->n = n;
  job->chunk_size = chunk_size;
  job->num_chunks = num_chunks;
  job->helpers_wanted = static_cast<int>(std::min<int64_t>(static_cast<int64_t>(workers_.size()), num_chunks - 1));
  const int helpers = job->helpers_wanted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  for (int i = 0; i < helpers; ++i) wake_.notify_one();

  // The caller starts on its share right away instead of waiting for helpers.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  job->Work();
  const Clock::time_point worked_until = Clock::now();
  {
    // Helpers that have not picked the job up by now are not needed.
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find(queue_.begin(), queue_.end(), job);
    if (it != queue_.end()) queue_.erase(it);
  }
  job->WaitUntilDone();
  // Without stalls the caller waits at most for one chunk a helper started
  // late; waiting longer than its own share took means a helper was
  // descheduled mid-chunk.
  if (Clock::now() - worked_until > worked_until - start) {
    const int backoff = backoff_.load(std::memory_order_relaxed);
    inline_jobs_left_.store(backoff, std::memory_order_relaxed);
    backoff_.store(std::min(backoff * 2, kMaxBackoff), std::memory_order_relaxed);
  } else {
    backoff_.store(1, std::memory_order_relaxed);
  }
  if (job->error) std::rethrow_exception(job->error);
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      job = queue_.front();
      if (--job->helpers_wanted == 0) queue_.pop_front();
    }
    job->Work();
  }
}

}  // namespace kiln
