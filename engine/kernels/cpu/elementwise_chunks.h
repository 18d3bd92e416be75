// Splitting elementwise work over the session's thread pool: large arrays go
// to ParallelFor in chunks of a few ten thousand elements, small ones run
// inline so that a tiny tensor pays no scheduling cost.
#pragma once

#include <cstdint>
#include <utility>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// Elements per chunk handed to one thread; below twice this nothing is split.
inline constexpr int64_t kElementwiseChunk = int64_t{1} << 15;

// Calls fn(begin, end) over disjoint ranges covering [0, n).
template <typename F>
void ForEachElementChunk(ThreadPool* pool, int64_t n, F&& fn) {
  if (n <= 0) return;
  if (pool == nullptr || pool->size() <= 1 || n < 2 * kElementwiseChunk) {
    fn(int64_t{0}, n);
    return;
  }
  pool->ParallelFor(n, kElementwiseChunk, std::forward<F>(fn));
}

// Rows of `row_elements` each: calls fn(first_row, last_row) so that one
// call covers about kElementwiseChunk elements.
template <typename F>
void ForEachRowChunk(ThreadPool* pool, int64_t rows, int64_t row_elements, F&& fn) {
  if (rows <= 0) return;
  const int64_t total = rows * (row_elements > 0 ? row_elements : 1);
  if (pool == nullptr || pool->size() <= 1 || total < 2 * kElementwiseChunk) {
    fn(int64_t{0}, rows);
    return;
  }
  const int64_t grain = row_elements >= kElementwiseChunk ? 1 : kElementwiseChunk / row_elements;
  pool->ParallelFor(rows, grain, std::forward<F>(fn));
}

}  // namespace kiln::cpu
