#include "engine/kernels/cpu/channels_last_copy.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln::cpu {
namespace {

struct CopyCase {
  int64_t batch, channels, positions;
};

// Shapes around the 32-element tile edge, the CNN stem (3 channels, many
// positions) and the head (many channels, few positions).
const CopyCase kCases[] = {{1, 1, 1}, {1, 3, 50}, {2, 3, 224 * 7}, {1, 33, 31}, {3, 64, 65}, {1, 2048, 49}, {2, 5, 1}};

TEST(ChannelsLastCopyTest, PlanarToChannelsLastAndBackMatchIndexFormula) {
  ThreadPool pool(2);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    for (const CopyCase& c : kCases) {
      const int64_t total = c.batch * c.channels * c.positions;
      std::vector<float> planar(static_cast<size_t>(total));
      for (int64_t i = 0; i < total; ++i) planar[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f - 7.0f;
      std::vector<float> nhwc(planar.size(), -1.0f), back(planar.size(), -1.0f);
      PlanarToChannelsLast(planar.data(), nhwc.data(), c.batch, c.channels, c.positions, p);
      for (int64_t n = 0; n < c.batch; ++n)
        for (int64_t ch = 0; ch < c.channels; ++ch)
          for (int64_t pos = 0; pos < c.positions; ++pos)
            ASSERT_EQ(nhwc[static_cast<size_t>((n * c.positions + pos) * c.channels + ch)],
                      planar[static_cast<size_t>((n * c.channels + ch) * c.positions + pos)])
                << "batch " << c.batch << " channels " << c.channels << " positions " << c.positions;
      ChannelsLastToPlanar(nhwc.data(), back.data(), c.batch, c.channels, c.positions, p);
      EXPECT_EQ(back, planar) << "channels " << c.channels << " positions " << c.positions;
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
