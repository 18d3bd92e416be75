// TypedGemm: the GEMM of gemm.h for any numeric element type T, as used by
// MatMul, Gemm and Conv. float/double go to the packed kernel, Float16 and
// BFloat16 are widened to float and rounded on store, integers use a plain
// loop with wrapping arithmetic (no undefined overflow).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/kernels/cpu/gemm.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

namespace typed_gemm_detail {

// Copies a rows x cols block with row stride ld into a dense float buffer.
template <typename T>
std::vector<float> Widen(const T* src, int64_t rows, int64_t cols, int64_t ld) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = static_cast<float>(src[r * ld + c]);
  return out;
}

// Integer GEMM accumulating in T with wrap-around, computed in the unsigned type.
template <typename T>
void IntegerGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  using U = std::make_unsigned_t<T>;
  std::vector<U> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), U(0));
    for (int64_t p = 0; p < k; ++p) {
      const U av = static_cast<U>(trans_a ? a[p * lda + i] : a[i * lda + p]);
      if (av == 0) continue;
      if (!trans_b) {
        const T* brow = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += av * static_cast<U>(brow[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += av * static_cast<U>(b[j * ldb + p]);
      }
    }
    T* crow = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      U v = static_cast<U>(alpha) * row[static_cast<size_t>(j)];
      if (beta != T(0)) v += static_cast<U>(beta) * static_cast<U>(crow[j]);
      crow[j] = static_cast<T>(v);
    }
  }
}

}  // namespace typed_gemm_detail

// C[m x n] = alpha * op(A) * op(B) + beta * C (beta == 0: C is only written).
// Floating-point products use `pool` (may be null) for large sizes.
template <typename T>
void TypedGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, ComputeType<T> alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, ComputeType<T> beta, T* c, int64_t ldc,
               ThreadPool* pool = nullptr) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    Gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pool);
  } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    using typed_gemm_detail::Widen;
    const std::vector<float> fa = trans_a ? Widen(a, k, m, lda) : Widen(a, m, k, lda);
    const std::vector<float> fb = trans_b ? Widen(b, n, k, ldb) : Widen(b, k, n, ldb);
    std::vector<float> fc = beta != 0.0f ? Widen(c, m, n, ldc) : std::vector<float>(static_cast<size_t>(m * n));
    Gemm(trans_a, trans_b, m, n, k, alpha, fa.data(), trans_a ? m : k, fb.data(), trans_b ? k : n, beta, fc.data(),
         n, pool);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = static_cast<T>(fc[static_cast<size_t>(i * n + j)]);
  } else {
    static_assert(std::is_integral_v<T>, "TypedGemm: unsupported element type");
    typed_gemm_detail::IntegerGemm<T>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

}  // namespace kiln::cpu
