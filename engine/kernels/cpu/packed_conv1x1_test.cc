#include "engine/kernels/cpu/packed_conv1x1.h"

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
// channels that end in a partial block, with and without bias, residual
// (separate and in place) and ReLU, on one thread and on two.
TEST(PackedConv1x1Test, MatchesDefinition) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "AVX-512 only";
  ThreadPool pool(2);
  struct Size {
    int64_t rows, k, n_out;
  };
  for (int64_t block : {48, 64}) {
    for (const Size s : {Size{1, 5, 16}, Size{7, 33, 100}, Size{13, 64, 48}, Size{49, 130, 200}}) {
      std::vector<float> x(static_cast<size_t>(s.rows * s.k)), w(static_cast<size_t>(s.n_out * s.k));
      std::vector<float> bias(static_cast<size_t>(s.n_out)), residual(static_cast<size_t>(s.rows * s.n_out));
      for (size_t i = 0; i < x.size(); ++i) x[i] = Wavy(static_cast<int64_t>(i), 1);
      for (size_t i = 0; i < w.size(); ++i) w[i] = Wavy(static_cast<int64_t>(i), 2);
      for (size_t i = 0; i < bias.size(); ++i) bias[i] = Wavy(static_cast<int64_t>(i), 3);
      for (size_t i = 0; i < residual.size(); ++i) residual[i] = Wavy(static_cast<int64_t>(i), 4);
      const std::vector<float> packed = Pack(w, s.n_out, s.k, block);
      const PackedConv1x1Layout layout{block, s.k * block};
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_bias = variant != 1, relu = variant % 2 == 0;
        const bool with_residual = variant >= 2, in_place = variant == 3;
        for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
          std::vector<float> y(residual.size(), -77.0f);
          if (in_place) y = residual;
          const float* r = with_residual ? (in_place ? y.data() : residual.data()) : nullptr;
          PackedConv1x1(x.data(), s.rows, s.k, packed.data(), layout, s.n_out, with_bias ? bias.data() : nullptr, r,
                        relu, y.data(), p);
          for (int64_t m = 0; m < s.rows; ++m) {
            for (int64_t n = 0; n < s.n_out; ++n) {
              double expected = with_bias ? bias[static_cast<size_t>(n)] : 0.0;
              for (int64_t q = 0; q < s.k; ++q)
                expected += static_cast<double>(x[static_cast<size_t>(m * s.k + q)]) * w[static_cast<size_t>(n * s.k + q)];
              if (with_residual) expected += residual[static_cast<size_t>(m * s.n_out + n)];
              if (relu) expected = std::max(expected, 0.0);
              ASSERT_NEAR(y[static_cast<size_t>(m * s.n_out + n)], expected, 1e-4 * (1.0 + std::fabs(expected)))
                  << "block " << block << " rows " << s.rows << " k " << s.k << " n " << s.n_out << " at " << m
                  << "," << n << " variant " << variant << (p != nullptr ? " 2 threads" : " 1 thread");
            }
          }
        }
      }
    }
  }
}

// The layouts the kernel takes from oneDNN, and those it refuses.
TEST(PackedConv1x1Test, AcceptsOnlyBlockedOneByOneWeights) {
  using tag = dnnl::memory::format_tag;
  const dnnl::memory::data_type f32 = dnnl::memory::data_type::f32;
  auto blocked = [&](int64_t out, int64_t in, int64_t block, int64_t kernel) {
    // [O/block][I][kh][kw][block]: strides of O, I, kh, kw
    const int64_t spatial = kernel * kernel;
    dnnl::memory::desc d({out, in, kernel, kernel}, f32, tag::any);
    dnnl_memory_desc_t& raw = d.data;
    raw.format_kind = dnnl_blocked;
    raw.padded_dims[0] = (out + block - 1) / block * block;
    raw.format_desc.blocking.inner_nblks = 1;
    raw.format_desc.blocking.inner_blks[0] = block;
    raw.format_desc.blocking.inner_idxs[0] = 0;
    raw.format_desc.blocking.strides[0] = in * spatial * block;
    raw.format_desc.blocking.strides[1] = spatial * block;
    raw.format_desc.blocking.strides[2] = kernel * block;
    raw.format_desc.blocking.strides[3] = block;
    return d;
  };
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const auto ok = PackedConv1x1LayoutOf(blocked(512, 2048, 48, 1));
  EXPECT_EQ(ok.has_value(), avx512);
  if (ok) {
    EXPECT_EQ(ok->block, 48);
    EXPECT_EQ(ok->block_stride, 2048 * 48);
  }
  EXPECT_EQ(PackedConv1x1LayoutOf(blocked(256, 64, 64, 1)).has_value(), avx512);
  EXPECT_FALSE(PackedConv1x1LayoutOf(blocked(256, 64, 32, 1)));  // 32-channel blocks
  EXPECT_FALSE(PackedConv1x1LayoutOf(blocked(256, 64, 64, 3)));  // 3x3
  EXPECT_FALSE(PackedConv1x1LayoutOf(dnnl::memory::desc({256, 64, 1, 1}, f32, tag::oihw)));
  EXPECT_FALSE(PackedConv1x1LayoutOf(dnnl::memory::desc({256, 64, 1, 1}, f32, tag::OIhw16i16o)));
}

}  // namespace
}  // namespace kiln::cpu
