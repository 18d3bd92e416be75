#include "engine/kernels/cpu/gemm.h"

#include <algorithm>
#include <vector>

namespace kiln::cpu {
namespace {

// Cache-blocked reference implementation: packs op(B) panels so the inner
// loop runs over contiguous memory and the compiler can vectorise it.
template <typename T>
void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
              const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) std::fill(row, row + n, T(0));
    else if (beta != T(1)) for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
  if (k == 0 || alpha == T(0)) return;
  constexpr int64_t kBlockK = 256;
  constexpr int64_t kBlockN = 512;
  std::vector<T> packed(static_cast<size_t>(kBlockK * kBlockN));
  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    const int64_t nb = std::min(kBlockN, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
      const int64_t kb = std::min(kBlockK, k - p0);
      // packed[p][j] = op(B)[p0 + p][j0 + j]
      for (int64_t p = 0; p < kb; ++p) {
        T* dst = packed.data() + p * nb;
        if (!trans_b) {
          const T* src = b + (p0 + p) * ldb + j0;
          std::copy(src, src + nb, dst);
        } else {
          for (int64_t j = 0; j < nb; ++j) dst[j] = b[(j0 + j) * ldb + p0 + p];
        }
      }
      for (int64_t i = 0; i < m; ++i) {
        T* crow = c + i * ldc + j0;
        for (int64_t p = 0; p < kb; ++p) {
          const T av = alpha * (trans_a ? a[(p0 + p) * lda + i] : a[i * lda + p0 + p]);
          if (av == T(0)) continue;
          const T* brow = packed.data() + p * nb;
          for (int64_t j = 0; j < nb; ++j) crow[j] += av * brow[j];
        }
      }
    }
  }
}

}  // namespace

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  GemmImpl<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  GemmImpl<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace kiln::cpu
