#include "engine/kernels/cpu/packed_conv1x1.h"

#include <immintrin.h>

#include <algorithm>
#include <utility>

// GCC 12 flags _mm512_max_ps's internal _mm512_undefined_ps() operand.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace kiln::cpu {
namespace {

#define KILN_AVX512 __attribute__((target("avx512f,fma")))

// The rows of one tile: R rows by V vectors of 16 output channels keep
// R * V accumulators in registers (21 for 48-channel blocks, 24 for 64).
constexpr int RowsPerTile(int vectors) { return vectors == 3 ? 7 : 6; }

// One tile: `R` rows of x against one block of V * 16 output channels, of
// which the first `cols` are real (the last block may be padding beyond
// them).
// Also prefetches `prefetch_lines` cache lines from `prefetch` into L2,
// one per step over K: a part of the next block's panel.
template <int V, int R>
KILN_AVX512 void Tile(const float* x, int64_t k, const float* panel, const float* bias, const float* residual,
                      int64_t ld, bool relu, int64_t cols, float* y, const float* prefetch, int64_t prefetch_lines) {
  __m512 acc[R][V];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  // One line every `spacing` steps, so the requests stay under what memory delivers.
  const int64_t spacing = prefetch_lines > 0 ? std::max<int64_t>(1, k / prefetch_lines) : k + 1;
  int64_t countdown = 0, line = 0;
  for (int64_t p = 0; p < k; ++p) {
    if (countdown-- == 0) {
      if (line < prefetch_lines) _mm_prefetch(reinterpret_cast<const char*>(prefetch + 16 * line++), _MM_HINT_T1);
      countdown = spacing - 1;
    }
    __m512 w[V];
    for (int v = 0; v < V; ++v) w[v] = _mm512_loadu_ps(panel + p * (16 * V) + 16 * v);
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[r * k + p]);
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(xv, w[v], acc[r][v]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int v = 0; v < V; ++v) {
    const int64_t left = cols - 16 * v;
    if (left <= 0) break;
    const __mmask16 mask = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const __m512 b = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + 16 * v) : zero;
    for (int r = 0; r < R; ++r) {
      __m512 out = _mm512_add_ps(acc[r][v], b);
      if (residual != nullptr) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(mask, residual + r * ld + 16 * v));
      if (relu) out = _mm512_max_ps(out, zero);
      _mm512_mask_storeu_ps(y + r * ld + 16 * v, mask, out);
    }
  }
}

template <int V, int... R>
KILN_AVX512 void TileOfRows(int rows, const float* x, int64_t k, const float* panel, const float* bias,
                            const float* residual, int64_t ld, bool relu, int64_t cols, float* y,
                            const float* prefetch, int64_t prefetch_lines, std::integer_sequence<int, R...>) {
  // Calls Tile<V, rows>; rows is 1..RowsPerTile(V).
  (void)((rows == R + 1
              ? (Tile<V, R + 1>(x, k, panel, bias, residual, ld, relu, cols, y, prefetch, prefetch_lines), true)
              : false) ||
         ...);
}

// Tiles [first, last) of the (block, row tile) grid, block-major, so a
// block's panel is read from memory once and then from cache. While a
// block's tiles compute, they prefetch the next block's panel (the one this
// call will need), so its weights arrive while there is arithmetic to do
// instead of stalling the next block's first tile.
template <int V>
void RunTiles(int64_t first, int64_t last, const float* x, int64_t rows, int64_t k, const float* weights,
              const PackedConv1x1Layout& layout, int64_t n_out, const float* bias, const float* residual, bool relu,
              float* y) {
  constexpr int kRows = RowsPerTile(V);
  const int64_t row_tiles = (rows + kRows - 1) / kRows;
  const int64_t last_block = (last - 1) / row_tiles;
  const int64_t panel_lines = k * layout.block / 16;
  for (int64_t t = first; t < last; ++t) {
    const int64_t block = t / row_tiles;
    const int64_t tile = t % row_tiles;
    const int64_t row = tile * kRows;
    const int64_t col = block * layout.block;
    const int64_t offset = row * n_out + col;
    // This tile's share of the next panel, spread evenly over the block's tiles.
    const int64_t share = std::min(k, (panel_lines + row_tiles - 1) / row_tiles);
    const float* next = weights + (block + 1) * layout.block_stride + tile * share * 16;
    const int64_t lines = block < last_block ? std::clamp<int64_t>(panel_lines - tile * share, 0, share) : 0;
    TileOfRows<V>(static_cast<int>(std::min<int64_t>(kRows, rows - row)), x + row * k, k,
                  weights + block * layout.block_stride, bias != nullptr ? bias + col : nullptr,
                  residual != nullptr ? residual + offset : nullptr, n_out, relu,
                  std::min(layout.block, n_out - col), y + offset, next, lines,
                  std::make_integer_sequence<int, kRows>{});
  }
}

}  // namespace

std::optional<PackedConv1x1Layout> PackedConv1x1LayoutOf(const dnnl::memory::desc& weights) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  const dnnl_memory_desc_t& d = weights.data;
  if (!avx512 || d.data_type != dnnl_f32 || d.format_kind != dnnl_blocked || d.ndims < 3 || d.ndims > 5) {
    return std::nullopt;
  }
  for (int i = 2; i < d.ndims; ++i) {
    if (d.dims[i] != 1) return std::nullopt;  // 1x1 kernels only
  }
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  if (b.inner_nblks != 1 || b.inner_idxs[0] != 0 || (b.inner_blks[0] != 48 && b.inner_blks[0] != 64)) {
    return std::nullopt;
  }
  // Input channels dense within a block, and blocks one after another.
  const int64_t block = b.inner_blks[0];
  if (b.strides[1] != block || b.strides[0] < d.padded_dims[1] * block) return std::nullopt;
  return PackedConv1x1Layout{block, b.strides[0]};
}

void PackedConv1x1(const float* x, int64_t rows, int64_t k, const float* weights, const PackedConv1x1Layout& layout,
                   int64_t n_out, const float* bias, const float* residual, bool relu, float* y, ThreadPool* pool) {
  const int vectors = static_cast<int>(layout.block / 16);
  const int64_t blocks = (n_out + layout.block - 1) / layout.block;
  const int64_t row_tiles = (rows + RowsPerTile(vectors) - 1) / RowsPerTile(vectors);
  const int64_t tiles = blocks * row_tiles;
  // One contiguous share of the grid per thread: each reads its own blocks' weights.
  const int64_t parts = std::min<int64_t>(pool != nullptr ? pool->size() : 1, tiles);
  ParallelFor(pool, parts, 1, [&](int64_t first_part, int64_t last_part) {
    const int64_t first = tiles * first_part / parts, last = tiles * last_part / parts;
    if (vectors == 3) {
      RunTiles<3>(first, last, x, rows, k, weights, layout, n_out, bias, residual, relu, y);
    } else {
      RunTiles<4>(first, last, x, rows, k, weights, layout, n_out, bias, residual, relu, y);
    }
  });
}

}  // namespace kiln::cpu
