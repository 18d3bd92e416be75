#include "engine/kernels/cpu/packed_conv_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <utility>
#include <vector>

// GCC 12 flags _mm512_max_ps's internal _mm512_undefined_ps() operand.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace kiln::cpu {
namespace {

#define KILN_AVX512 __attribute__((target("avx512f,fma")))

// The rows of one tile: R rows by V vectors of 16 output channels keep
// R * V accumulators in registers (14 for 32-channel blocks, 21 for 48, 24
// for 64); 7 rows divide a 7x7 image.
constexpr int RowsPerTile(int vectors) { return vectors == 4 ? 6 : 7; }

// What a tile does with its sums: add them to partial sums of earlier taps
// (`partial`, may be null) and store them there, or, after the last tap,
// add the bias, the residual and ReLU and store the output.
struct Epilogue {
  const float* partial = nullptr;
  const float* bias = nullptr;      // final only
  const float* residual = nullptr;  // final only
  bool relu = false;
  bool final = true;
};

// One tile: `R` rows (x[r], `k` floats each) against one block of V * 16
// output channels, of which the first `cols` are real (the last block may
// be padding beyond them); the result goes to out (row stride `ld`). Also
// prefetches `prefetch_lines` cache lines from `prefetch` into L2, spread
// over the K steps: a part of the next panel.
template <int V, int R>
KILN_AVX512 void Tile(const float* const* x, int64_t k, const float* panel, const Epilogue& e, int64_t ld,
                      int64_t cols, float* out, const float* prefetch, int64_t prefetch_lines) {
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
      const __m512 xv = _mm512_set1_ps(x[r][p]);
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(xv, w[v], acc[r][v]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int v = 0; v < V; ++v) {
    const int64_t left = cols - 16 * v;
    if (left <= 0) break;
    const __mmask16 mask = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const __m512 b = e.final && e.bias != nullptr ? _mm512_maskz_loadu_ps(mask, e.bias + 16 * v) : zero;
    for (int r = 0; r < R; ++r) {
      __m512 sum = _mm512_add_ps(acc[r][v], b);
      if (e.partial != nullptr) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, e.partial + r * ld + 16 * v));
      if (e.final) {
        if (e.residual != nullptr) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, e.residual + r * ld + 16 * v));
        if (e.relu) sum = _mm512_max_ps(sum, zero);
      }
      _mm512_mask_storeu_ps(out + r * ld + 16 * v, mask, sum);
    }
  }
}

template <int V, int... R>
KILN_AVX512 void TileOfRows(int rows, const float* const* x, int64_t k, const float* panel, const Epilogue& e,
                            int64_t ld, int64_t cols, float* out, const float* prefetch, int64_t prefetch_lines,
                            std::integer_sequence<int, R...>) {
  // Calls Tile<V, rows>; rows is 1..RowsPerTile(V).
  (void)((rows == R + 1 ? (Tile<V, R + 1>(x, k, panel, e, ld, cols, out, prefetch, prefetch_lines), true) : false) ||
         ...);
}

// What one call multiplies (see PackedConvGemm).
struct Problem {
  const float* const* rows;  // [taps][row_count], padding pointing at zeros
  int64_t taps, row_count, channels;
  const float* weights;
  PackedConvLayout layout;
  int64_t n_out;
  const float* bias;
  const float* residual;
  bool relu;
  float* y;
  float* partial;  // [row_count][n_out] when taps > 1
};

// Tiles [first, last) of the (block, row tile) grid, block-major, for each
// tap in turn: a tap's part of a block's panel (channels x block floats) is
// read from memory once and then from cache, and the working set stays one
// tap's rows, one panel part and the partial sums. While a panel part's
// tiles compute, they prefetch the next part this call will need, so its
// weights arrive while there is arithmetic to do instead of stalling the
// next block's first tile.
template <int V>
void RunTiles(int64_t first, int64_t last, const Problem& pb) {
  constexpr int kRows = RowsPerTile(V);
  const int64_t row_tiles = (pb.row_count + kRows - 1) / kRows;
  const int64_t first_block = first / row_tiles, last_block = (last - 1) / row_tiles;
  const int64_t k = pb.channels;
  const int64_t part_lines = k * pb.layout.block / 16;
  const int64_t share = std::min(k, (part_lines + row_tiles - 1) / row_tiles);
  auto part = [&](int64_t tap, int64_t block) {
    return pb.weights + block * pb.layout.block_stride + tap * k * pb.layout.block;
  };
  for (int64_t tap = 0; tap < pb.taps; ++tap) {
    Epilogue e;
    e.final = tap + 1 == pb.taps;
    const bool first_tap = tap == 0;
    for (int64_t t = first; t < last; ++t) {
      const int64_t block = t / row_tiles;
      const int64_t tile = t % row_tiles;
      const int64_t row = tile * kRows;
      const int64_t col = block * pb.layout.block;
      const int64_t offset = row * pb.n_out + col;
      e.partial = first_tap ? nullptr : pb.partial + offset;
      e.bias = pb.bias != nullptr ? pb.bias + col : nullptr;
      e.residual = pb.residual != nullptr ? pb.residual + offset : nullptr;
      e.relu = pb.relu;
      // This tile's share of the next panel part, spread evenly over the block's tiles.
      const float* next = nullptr;
      if (block < last_block) {
        next = part(tap, block + 1);
      } else if (tap + 1 < pb.taps) {
        next = part(tap + 1, first_block);
      }
      const int64_t lines = next != nullptr ? std::clamp<int64_t>(part_lines - tile * share, 0, share) : 0;
      TileOfRows<V>(static_cast<int>(std::min<int64_t>(kRows, pb.row_count - row)),
                    pb.rows + tap * pb.row_count + row, k, part(tap, block), e, pb.n_out,
                    std::min(pb.layout.block, pb.n_out - col), (e.final ? pb.y : pb.partial) + offset,
                    next != nullptr ? next + tile * share * 16 : nullptr, lines,
                    std::make_integer_sequence<int, kRows>{});
    }
  }
}

}  // namespace

std::optional<PackedConvLayout> PackedConvLayoutOf(const dnnl::memory::desc& weights) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  const dnnl_memory_desc_t& d = weights.data;
  if (!avx512 || d.data_type != dnnl_f32 || d.format_kind != dnnl_blocked || d.ndims < 3 || d.ndims > 5) {
    return std::nullopt;
  }
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  const int64_t block = b.inner_blks[0];
  if (b.inner_nblks != 1 || b.inner_idxs[0] != 0 || (block != 32 && block != 48 && block != 64)) return std::nullopt;
  if (d.padded_dims[1] != d.dims[1]) return std::nullopt;
  // Within a block: input channels dense, then the taps row-major (the
  // last spatial dimension innermost), then one block after another.
  int64_t expected = block;
  if (b.strides[1] != expected) return std::nullopt;
  expected *= d.dims[1];
  for (int i = d.ndims - 1; i >= 2; --i) {
    if (d.dims[i] != 1 && b.strides[i] != expected) return std::nullopt;
    expected *= d.dims[i];
  }
  if (b.strides[0] < expected) return std::nullopt;
  return PackedConvLayout{block, b.strides[0]};
}

void PackedConvGemm(const float* x, const int64_t* offsets, int64_t taps, int64_t row_count, int64_t channels,
                    const float* weights, const PackedConvLayout& layout, int64_t n_out, const float* bias,
                    const float* residual, bool relu, float* y, ThreadPool* pool) {
  // Row pointers for the tiles; padding reads zeros.
  const std::vector<float> zeros(static_cast<size_t>(channels), 0.0f);
  std::vector<const float*> rows(static_cast<size_t>(taps * row_count));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = offsets[i] < 0 ? zeros.data() : x + offsets[i];
  std::vector<float> partial(taps > 1 ? static_cast<size_t>(row_count * n_out) : 0);
  const Problem problem{rows.data(), taps, row_count, channels, weights, layout, n_out, bias, residual, relu, y,
                        partial.data()};
  const int vectors = static_cast<int>(layout.block / 16);
  const int64_t blocks = (n_out + layout.block - 1) / layout.block;
  const int64_t row_tiles = (row_count + RowsPerTile(vectors) - 1) / RowsPerTile(vectors);
  const int64_t tiles = blocks * row_tiles;
  // One contiguous share of the grid per thread: each reads its own blocks'
  // weights, and only it touches its tiles' partial sums.
  const int64_t parts = std::min<int64_t>(pool != nullptr ? pool->size() : 1, tiles);
  ParallelFor(pool, parts, 1, [&](int64_t first_part, int64_t last_part) {
    const int64_t first = tiles * first_part / parts, last = tiles * last_part / parts;
    if (vectors == 2) {
      RunTiles<2>(first, last, problem);
    } else if (vectors == 3) {
      RunTiles<3>(first, last, problem);
    } else {
      RunTiles<4>(first, last, problem);
    }
  });
}

}  // namespace kiln::cpu
