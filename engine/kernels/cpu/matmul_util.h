// Shape rules and the batched loop of NumPy matmul, shared by MatMul,
// MatMulInteger and QLinearMatMul.
#pragma once

#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/typed_gemm.h"

namespace kiln::cpu {

struct MatMulShape {
  int64_t m = 0, k = 0, n = 0;
  Shape a_batch, b_batch, batch;  // batch dimensions of A, B and the output
  Shape out;                      // output shape (1-D operands drop their dimension)
};

// A 1-D `a` acts as [1, K] and a 1-D `b` as [K, 1]; batch dimensions broadcast.
inline Result<MatMulShape> MatMulShapeFor(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return Status::InvalidArgument("matmul inputs must not be scalars");
  Shape as = a, bs = b;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  MatMulShape s;
  s.m = as[as.size() - 2];
  s.k = as.back();
  s.n = bs.back();
  if (bs[bs.size() - 2] != s.k) {
    return Status::InvalidArgument("matmul shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                   " do not match on the inner dimension");
  }
  s.a_batch.assign(as.begin(), as.end() - 2);
  s.b_batch.assign(bs.begin(), bs.end() - 2);
  KILN_ASSIGN_OR_RETURN(s.batch, BroadcastShapes({s.a_batch, s.b_batch}));
  s.out = s.batch;
  if (a.size() >= 2) s.out.push_back(s.m);
  if (b.size() >= 2) s.out.push_back(s.n);
  return s;
}

// out = a @ b for every (broadcast) batch. With a pool (may be null), batches
// run in parallel, or a single large product is split inside the GEMM.
template <typename T>
void BatchedMatMul(const MatMulShape& s, const T* a, const T* b, T* out, ThreadPool* pool = nullptr) {
  using C = ComputeType<T>;
  const int64_t batch_count = NumElements(s.batch);
  const int64_t m = s.m, k = s.k, n = s.n;
  if (batch_count == 0 || m == 0 || n == 0) return;
  // B shared by every batch and A not broadcast: one GEMM with the batches stacked as rows.
  if (NumElements(s.b_batch) == 1 && s.a_batch == s.batch) {
    TypedGemm<T>(false, false, batch_count * m, n, k, C(1), a, k, b, n, C(0), out, n, pool);
    return;
  }
  // Element offsets (in matrices) of A and B for every output batch.
  const std::vector<int64_t> a_strides = BroadcastStrides(s.a_batch, s.batch);
  const std::vector<int64_t> b_strides = BroadcastStrides(s.b_batch, s.batch);
  const size_t rank = s.batch.size();
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> a_offsets(static_cast<size_t>(batch_count)), b_offsets(static_cast<size_t>(batch_count));
  int64_t a_off = 0, b_off = 0;
  for (int64_t i = 0; i < batch_count; ++i) {
    a_offsets[static_cast<size_t>(i)] = a_off;
    b_offsets[static_cast<size_t>(i)] = b_off;
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      a_off += a_strides[d];
      b_off += b_strides[d];
      if (index[d] < s.batch[d]) break;
      a_off -= a_strides[d] * s.batch[d];
      b_off -= b_strides[d] * s.batch[d];
      index[d] = 0;
    }
  }
  // Enough batches per task that a task is worth handing to another thread.
  constexpr int64_t kMinTaskWork = int64_t{1} << 18;
  const int64_t grain = std::max<int64_t>(1, kMinTaskWork / std::max<int64_t>(m * n * k, 1));
  ParallelFor(pool, batch_count, grain, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      // Inside a parallel task the GEMM runs on this thread; when the batches
      // all ran inline (too few), it may split itself.
      TypedGemm<T>(false, false, m, n, k, C(1), a + a_offsets[static_cast<size_t>(i)] * m * k, k,
                   b + b_offsets[static_cast<size_t>(i)] * k * n, n, C(0), out + i * m * n, n, pool);
    }
  });
}

}  // namespace kiln::cpu
