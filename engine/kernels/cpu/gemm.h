// General matrix multiply used by MatMul, Gemm, Conv (im2col), Einsum, RNNs:
//   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C
// Row-major; lda/ldb/ldc are row strides; op() transposes when trans_* is set.
// Thread-safe (no shared state). With a thread pool, large products are
// split over blocks of C's rows or columns; the result is bit-identical for
// any number of threads.
#pragma once

#include <cstdint>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool = nullptr);
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc, ThreadPool* pool = nullptr);

}  // namespace kiln::cpu
