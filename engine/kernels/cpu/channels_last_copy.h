// Layout changes between planar NC<spatial> and channels-last N<spatial>C
// for float tensors, written for the two places a CNN needs them: the image
// entering a chain of channels-last convolutions (few channels, many
// positions) and the feature map leaving it (many channels, few positions).
// oneDNN's generic reorder is several times slower on the first of these
// (a 3-channel 224x224 image takes milliseconds), so DnnlConv uses these.
#pragma once

#include <cstdint>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// dst[n][p][c] = src[n][c][p] for n < batch, c < channels, p < positions.
void PlanarToChannelsLast(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool);

// dst[n][c][p] = src[n][p][c]: the inverse of PlanarToChannelsLast.
void ChannelsLastToPlanar(const float* src, float* dst, int64_t batch, int64_t channels, int64_t positions,
                          ThreadPool* pool);

}  // namespace kiln::cpu
