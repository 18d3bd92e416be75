#include "engine/kernels/cpu/channels_last_copy.h"

#include <immintrin.h>

namespace kiln::cpu {
namespace {

constexpr auto kSame = [](float v) { return v; };

// Interleaves three planes (an RGB image) into [position][3] for positions
// [first, last): 16 positions of each plane at a time, two permutes per
// output vector. A 224x224 image: 18 µs in cache and 52 from memory, against
// 72 and 82 for the tiled transpose, whose tiles are only 3 rows deep here.
__attribute__((target("avx512f"))) void InterleaveThreePlanes(const float* src, float* dst, int64_t positions,
                                                               int64_t first, int64_t last) {
  const float* r = src;
  const float* g = src + positions;
  const float* b = src + 2 * positions;
  // Output element j of a 48-float group is channel j % 3 of position j / 3.
  // First permute: channels 0 and 1 from the first two planes; second: keep
  // those lanes and take channel 2 from the third plane.
  __m512i from_rg[3], with_b[3];
  for (int v = 0; v < 3; ++v) {
    alignas(64) int32_t rg[16], bb[16];
    for (int k = 0; k < 16; ++k) {
      const int j = v * 16 + k, channel = j % 3, position = j / 3;
      rg[k] = channel == 0 ? position : channel == 1 ? 16 + position : 0;
      bb[k] = channel == 2 ? 16 + position : k;
    }
    from_rg[v] = _mm512_load_si512(rg);
    with_b[v] = _mm512_load_si512(bb);
  }
  int64_t p = first;
  for (; p + 16 <= last; p += 16) {
    const __m512 vr = _mm512_loadu_ps(r + p), vg = _mm512_loadu_ps(g + p), vb = _mm512_loadu_ps(b + p);
    for (int v = 0; v < 3; ++v) {
      const __m512 two = _mm512_permutex2var_ps(vr, from_rg[v], vg);
      _mm512_storeu_ps(dst + p * 3 + v * 16, _mm512_permutex2var_ps(two, with_b[v], vb));
    }
  }
  for (; p < last; ++p) {
    dst[p * 3] = r[p];
    dst[p * 3 + 1] = g[p];
    dst[p * 3 + 2] = b[p];
  }
}

}  // namespace

void PlanarToChannelsLast(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (channels == 3 && avx512) {
    // Chunks of 4096 positions (48 KiB each way) spread over the pool.
    constexpr int64_t kChunk = 4096;
    const int64_t chunks = (positions + kChunk - 1) / kChunk;
    ParallelFor(pool, batch * chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t n = task / chunks, first = task % chunks * kChunk;
        InterleaveThreePlanes(src + n * 3 * positions, dst + n * 3 * positions, positions, first,
                              std::min(positions, first + kChunk));
      }
    });
    return;
  }
  TransposeMatrices(src, dst, batch, channels, positions, pool, kSame);
}

void ChannelsLastToPlanar(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  TransposeMatrices(src, dst, batch, positions, channels, pool, kSame);
}

}  // namespace kiln::cpu
