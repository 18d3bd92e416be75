// Layout changes between planar NC<spatial> and channels-last N<spatial>C,
// written for the two places a CNN needs them: the image entering a chain
// of channels-last convolutions (few channels, many positions) and the
// feature map leaving it (many channels, few positions). oneDNN's generic
// reorder is several times slower on the first of these (a 3-channel
// 224x224 image takes milliseconds), so DnnlConv uses these. The int8 chain
// edges (quantize into / dequantize out of channels-last) use the same tiled
// transpose with a per-element conversion. Stateless.
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// dst[n][p][c] = src[n][c][p] for n < batch, c < channels, p < positions.
void PlanarToChannelsLast(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool);

// dst[n][c][p] = src[n][p][c]: the inverse of PlanarToChannelsLast.
void ChannelsLastToPlanar(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool);

// Transposes each of `batch` row-major [rows, cols] matrices into
// [cols, rows], converting every element: dst = convert(src). Tile by tile
// (a 32x32 tile stays in L1, so both sides are touched a cache line at a
// time), the tiles spread over the pool.
template <typename Src, typename Dst, typename Convert>
void TransposeMatrices(const Src* src, Dst* dst, int64_t batch, int64_t rows, int64_t cols, ThreadPool* pool,
                       Convert convert) {
  constexpr int64_t kTile = 32;
  constexpr int64_t kTilesPerTask = 16;
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t col_tiles = (cols + kTile - 1) / kTile;
  const int64_t matrix = rows * cols;
  ParallelFor(pool, batch * row_tiles * col_tiles, kTilesPerTask, [&](int64_t first, int64_t last) {
    for (int64_t tile = first; tile < last; ++tile) {
      const int64_t n = tile / (row_tiles * col_tiles);
      const int64_t r0 = (tile / col_tiles % row_tiles) * kTile;
      const int64_t c0 = (tile % col_tiles) * kTile;
      const int64_t r1 = std::min(rows, r0 + kTile);
      const int64_t c1 = std::min(cols, c0 + kTile);
      // Restrict-qualified locals: a byte store could otherwise alias the
      // captured sizes and force a reload per element.
      const Src* __restrict in = src + n * matrix;
      Dst* __restrict out = dst + n * matrix;
      const int64_t in_row = cols, out_row = rows;
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) out[c * out_row + r] = convert(in[r * in_row + c]);
      }
    }
  });
}

}  // namespace kiln::cpu
