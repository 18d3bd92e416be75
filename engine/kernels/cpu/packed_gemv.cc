#include "engine/kernels/cpu/packed_gemv.h"

#include <immintrin.h>

#include <algorithm>

namespace kiln::cpu {
namespace {

constexpr int64_t kBlockCols = 64;
constexpr int64_t kRowGroup = 16;

// One 64-column block: two rows per step into two sets of four
// accumulators, so eight independent FMA chains hide the FMA latency.
__attribute__((target("avx512f,fma"))) void GemvBlock(const float* x, const float* block, const float* bias,
                                                       float* y, int64_t rows, int64_t cols) {
  __m512 even[4], odd[4];
  for (int i = 0; i < 4; ++i) even[i] = odd[i] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 2 <= rows; k += 2) {
    const float* r = block + k * kBlockCols;  // rows k and k + 1 are adjacent within a 16-row group
    const __m512 x0 = _mm512_set1_ps(x[k]);
    const __m512 x1 = _mm512_set1_ps(x[k + 1]);
    for (int i = 0; i < 4; ++i) {
      even[i] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r + 16 * i), even[i]);
      odd[i] = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r + kBlockCols + 16 * i), odd[i]);
    }
  }
  if (k < rows) {
    const float* r = block + k * kBlockCols;
    const __m512 x0 = _mm512_set1_ps(x[k]);
    for (int i = 0; i < 4; ++i) even[i] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r + 16 * i), even[i]);
  }
  alignas(64) float sums[kBlockCols];
  for (int i = 0; i < 4; ++i) _mm512_store_ps(sums + 16 * i, _mm512_add_ps(even[i], odd[i]));
  for (int64_t c = 0; c < cols; ++c) y[c] = sums[c] + (bias != nullptr ? bias[c] : 0.0f);
}

}  // namespace

bool PackedGemvAvailable() { return __builtin_cpu_supports("avx512f"); }

void PackedGemv(const float* x, const float* packed_b, const float* bias, float* y, int64_t rows, int64_t cols,
                ThreadPool* pool) {
  const int64_t padded_rows = (rows + kRowGroup - 1) / kRowGroup * kRowGroup;
  const int64_t blocks = (cols + kBlockCols - 1) / kBlockCols;
  ParallelFor(pool, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      const int64_t col = b * kBlockCols;
      GemvBlock(x, packed_b + b * padded_rows * kBlockCols, bias != nullptr ? bias + col : nullptr, y + col, rows,
                std::min(kBlockCols, cols - col));
    }
  });
}

}  // namespace kiln::cpu
