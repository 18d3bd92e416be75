#include "engine/kernels/cpu/channels_last_copy.h"

namespace kiln::cpu {
namespace {

constexpr auto kSame = [](float v) { return v; };

}  // namespace

void PlanarToChannelsLast(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  TransposeMatrices(src, dst, batch, channels, positions, pool, kSame);
}

void ChannelsLastToPlanar(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool) {
  TransposeMatrices(src, dst, batch, positions, channels, pool, kSame);
}

}  // namespace kiln::cpu
