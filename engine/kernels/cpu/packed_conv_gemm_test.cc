#include "engine/kernels/cpu/packed_conv_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace kiln::cpu {
namespace {

float Wavy(int64_t i, int seed) { return std::sin(0.37f * static_cast<float>(i) + static_cast<float>(seed)); }

// W[n][k] packed the way oneDNN packs 1x1 weights in `block`-channel blocks:
// block b holds K rows of `block` floats, zero past n_out.
std::vector<float> Pack(const std::vector<float>& w, int64_t n_out, int64_t k, int64_t block) {
  const int64_t blocks = (n_out + block - 1) / block;
  std::vector<float> packed(static_cast<size_t>(blocks * k * block), 0.0f);
  for (int64_t n = 0; n < n_out; ++n)
    for (int64_t p = 0; p < k; ++p)
      packed[static_cast<size_t>((n / block) * k * block + p * block + n % block)] = w[static_cast<size_t>(n * k + p)];
  return packed;
}

// Rows that are and are not multiples of the 6- and 7-row tiles, output
// channels that end in a partial block, one tap or three (with rows in the
// padding), with and without bias, residual (separate and in place) and
// ReLU, on one thread and on two.
TEST(PackedConvGemmTest, MatchesDefinition) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "AVX-512 only";
  ThreadPool pool(2);
  struct Size {
    int64_t rows, channels, n_out, taps;
  };
  for (int64_t block : {32, 48, 64}) {
    for (const Size s : {Size{1, 5, 16, 1}, Size{7, 33, 100, 3}, Size{13, 64, 48, 1}, Size{49, 130, 200, 3}}) {
      const int64_t k = s.taps * s.channels;
      // The input: row_count + 1 positions; tap t of row m reads position
      // (m + t) % (rows + 1), and every fifth (tap, row) lies in the padding.
      std::vector<float> input(static_cast<size_t>((s.rows + 1) * s.channels));
      std::vector<float> w(static_cast<size_t>(s.n_out * k));
      std::vector<float> bias(static_cast<size_t>(s.n_out)), residual(static_cast<size_t>(s.rows * s.n_out));
      for (size_t i = 0; i < input.size(); ++i) input[i] = Wavy(static_cast<int64_t>(i), 1);
      for (size_t i = 0; i < w.size(); ++i) w[i] = Wavy(static_cast<int64_t>(i), 2);
      for (size_t i = 0; i < bias.size(); ++i) bias[i] = Wavy(static_cast<int64_t>(i), 3);
      for (size_t i = 0; i < residual.size(); ++i) residual[i] = Wavy(static_cast<int64_t>(i), 4);
      std::vector<int64_t> offsets(static_cast<size_t>(s.taps * s.rows));
      for (int64_t t = 0; t < s.taps; ++t) {
        for (int64_t m = 0; m < s.rows; ++m) {
          const bool padding = s.taps > 1 && (t * s.rows + m) % 5 == 4;
          offsets[static_cast<size_t>(t * s.rows + m)] = padding ? -1 : (m + t) % (s.rows + 1) * s.channels;
        }
      }
      const std::vector<float> packed = Pack(w, s.n_out, k, block);
      const PackedConvLayout layout{block, k * block};
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_bias = variant != 1, relu = variant % 2 == 0;
        const bool with_residual = variant >= 2, in_place = variant == 3;
        for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
          std::vector<float> y(residual.size(), -77.0f);
          if (in_place) y = residual;
          const float* r = with_residual ? (in_place ? y.data() : residual.data()) : nullptr;
          PackedConvGemm(input.data(), offsets.data(), s.taps, s.rows, s.channels, packed.data(), layout, s.n_out,
                         with_bias ? bias.data() : nullptr, r, relu, y.data(), p);
          for (int64_t m = 0; m < s.rows; ++m) {
            for (int64_t n = 0; n < s.n_out; ++n) {
              double expected = with_bias ? bias[static_cast<size_t>(n)] : 0.0;
              for (int64_t t = 0; t < s.taps; ++t) {
                const int64_t offset = offsets[static_cast<size_t>(t * s.rows + m)];
                if (offset < 0) continue;
                const float* row = input.data() + offset;
                for (int64_t c = 0; c < s.channels; ++c)
                  expected += static_cast<double>(row[c]) * w[static_cast<size_t>(n * k + t * s.channels + c)];
              }
              if (with_residual) expected += residual[static_cast<size_t>(m * s.n_out + n)];
              if (relu) expected = std::max(expected, 0.0);
              ASSERT_NEAR(y[static_cast<size_t>(m * s.n_out + n)], expected, 1e-4 * (1.0 + std::fabs(expected)))
                  << "block " << block << " rows " << s.rows << " channels " << s.channels << " taps " << s.taps
                  << " n " << s.n_out << " at " << m << "," << n << " variant " << variant
                  << (p != nullptr ? " 2 threads" : " 1 thread");
            }
          }
        }
      }
    }
  }
}

// The layouts the kernel takes from oneDNN, and those it refuses.
TEST(PackedConvGemmTest, AcceptsBlockedWeightsWithTapsOutsideChannels) {
  using tag = dnnl::memory::format_tag;
  const dnnl::memory::data_type f32 = dnnl::memory::data_type::f32;
  // [O/block][kh][kw][I][block] (channels_outer = false) or
  // [O/block][I][kh][kw][block] (true).
  auto blocked = [&](int64_t out, int64_t in, int64_t block, int64_t kernel, bool channels_outer) {
    dnnl::memory::desc d({out, in, kernel, kernel}, f32, tag::any);
    dnnl_memory_desc_t& raw = d.data;
    raw.format_kind = dnnl_blocked;
    raw.padded_dims[0] = (out + block - 1) / block * block;
    dnnl_blocking_desc_t& b = raw.format_desc.blocking;
    b.inner_nblks = 1;
    b.inner_blks[0] = block;
    b.inner_idxs[0] = 0;
    b.strides[0] = in * kernel * kernel * block;
    if (channels_outer) {
      b.strides[1] = kernel * kernel * block;
      b.strides[2] = kernel * block;
      b.strides[3] = block;
    } else {
      b.strides[1] = block;
      b.strides[2] = kernel * in * block;
      b.strides[3] = in * block;
    }
    return d;
  };
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const auto ok = PackedConvLayoutOf(blocked(512, 2048, 48, 1, false));
  EXPECT_EQ(ok.has_value(), avx512);
  if (ok) {
    EXPECT_EQ(ok->block, 48);
    EXPECT_EQ(ok->block_stride, 2048 * 48);
  }
  EXPECT_EQ(PackedConvLayoutOf(blocked(256, 64, 64, 1, false)).has_value(), avx512);
  EXPECT_EQ(PackedConvLayoutOf(blocked(512, 512, 32, 3, false)).has_value(), avx512);  // resnet50's 3x3
  EXPECT_FALSE(PackedConvLayoutOf(blocked(512, 512, 32, 3, true)));   // taps inside channels
  EXPECT_FALSE(PackedConvLayoutOf(blocked(256, 64, 16, 1, false)));   // 16-channel blocks
  EXPECT_FALSE(PackedConvLayoutOf(dnnl::memory::desc({256, 64, 1, 1}, f32, tag::oihw)));
  EXPECT_FALSE(PackedConvLayoutOf(dnnl::memory::desc({256, 64, 1, 1}, f32, tag::OIhw16i16o)));
}

}  // namespace
}  // namespace kiln::cpu
