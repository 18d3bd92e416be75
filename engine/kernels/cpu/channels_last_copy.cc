#include "engine/kernels/cpu/channels_last_copy.h"

#include <algorithm>

namespace kiln::cpu {
namespace {

// Tile edge of the blocked transpose: a 32x32 float tile (4 KiB) read and
// written stays in L1, so both sides are touched a cache line at a time.
constexpr int64_t kTile = 32;

// Transposes each of `batch` row-major [rows, cols] matrices into
// [cols, rows], tile by tile, the tiles spread over the pool.
void TransposeMatrices(const float* src, float* dst, int64_t batch, int64_t rows, int64_t cols, ThreadPool* pool) {
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t col_tiles = (cols + kTile - 1) / kTile;
  const int64_t matrix = rows * cols;
  constexpr int64_t kTilesPerTask = 16;
  ParallelFor(pool, batch * row_tiles * col_tiles, kTilesPerTask, [&](int64_t first, int64_t last) {
    for (int64_t tile = first; tile < last; ++tile) {
      const int64_t n = tile / (row_tiles * col_tiles);
      const int64_t r0 = (tile / col_tiles % row_tiles) * kTile;
      const int64_t c0 = (tile % col_tiles) * kTile;
      const int64_t r1 = std::min(rows, r0 + kTile);
      const int64_t c1 = std::min(cols, c0 + kTile);
      const float* in = src + n * matrix;
      float* out = dst + n * matrix;
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) out[c * rows + r] = in[r * cols + c];
      }
    }
  });
}

}  // namespace

void PlanarToChannelsLast(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  TransposeMatrices(src, dst, batch, channels, positions, pool);
}

void ChannelsLastToPlanar(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  TransposeMatrices(src, dst, batch, positions, channels, pool);
}

}  // namespace kiln::cpu
