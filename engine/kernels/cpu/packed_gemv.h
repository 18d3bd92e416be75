// A row vector times a constant matrix that oneDNN has packed for its
// matmul (layout BA16a64b: 64-column blocks, each K rows of 64 floats in
// 16-row groups, zero-padded): y = x @ B + bias. For batch-1 Gemm/MatMul
// (a classifier head): the product streams B once, which at batch 1 means
// from memory; four 64-column blocks are read side by side, four linear
// streams the hardware prefetcher follows. resnet50's 2048x1000 head,
// weights out of cache: about 530 µs against 695 for oneDNN's matmul on the
// same packed weights; same speed with the weights in cache. AVX-512 only.
#pragma once

#include <cstdint>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// True when this CPU runs PackedGemv (AVX-512F).
bool PackedGemvAvailable();

// y[n] = bias[n] (0 when null) + sum_k x[k] * B[k][n] for n < cols, k <
// rows, with B packed as BA16a64b (rows rounded up to 16, cols to 64). The
// groups of four 64-column blocks are split over `pool` (may be null).
void PackedGemv(const float* x, const float* packed_b, const float* bias, float* y, int64_t rows, int64_t cols,
                ThreadPool* pool);

}  // namespace kiln::cpu
