// DnnlPackedWeights: layouts are packed once and shared; after Release()
// the plain data is never read again and new layouts (also over plain
// descriptors of other dimensions) come from a packed one, exactly.
#include "engine/kernels/cpu/dnnl_packed_weights.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/kernels/cpu/dnnl_context.h"

namespace kiln::cpu {
namespace {

constexpr auto kF32 = dnnl::memory::data_type::f32;
using Tag = dnnl::memory::format_tag;

std::vector<float> Iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
  return v;
}

// The elements of `memory` in row-major order of its dimensions.
std::vector<float> Plain(const dnnl::memory& memory) {
  const dnnl::memory::desc plain(memory.get_desc().dims(), kF32, Tag::ab);
  auto copy = DnnlReorderToNew(memory, plain, 1);
  EXPECT_TRUE(copy.ok()) << copy.status().message();
  if (!copy.ok()) return {};
  const float* p = static_cast<const float*>(copy->get_data_handle());
  return std::vector<float>(p, p + plain.get_size() / sizeof(float));
}

TEST(DnnlPackedWeightsTest, SharesOneCopyPerLayout) {
  std::vector<float> data = Iota(6 * 5);
  const dnnl::memory::desc plain = DnnlPlainDesc({6, 5}, kF32);
  const dnnl::memory::desc col_major({6, 5}, kF32, Tag::ba);
  DnnlPackedWeights weights;
  auto first = weights.Get(plain, data.data(), col_major);
  auto again = weights.Get(plain, data.data(), col_major);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(Plain(**first), data);
}

TEST(DnnlPackedWeightsTest, ReleasedWeightsDeriveNewLayoutsFromPackedOnes) {
  std::vector<float> data = Iota(16 * 24);
  const dnnl::memory::desc plain = DnnlPlainDesc({16, 24}, kF32);
  DnnlPackedWeights weights;
  ASSERT_TRUE(weights.Get(plain, data.data(), dnnl::memory::desc({16, 24}, kF32, Tag::ba)).ok());
  ASSERT_TRUE(weights.Release());
  EXPECT_TRUE(weights.released());
  const std::vector<float> expected = data;
  std::fill(data.begin(), data.end(), -1.0f);  // no longer read

  // A blocked layout, the plain layout itself, and a plain descriptor of
  // other dimensions over the same bytes (a leading 1), all from null data.
  auto blocked = weights.Get(plain, nullptr, dnnl::memory::desc({16, 24}, kF32, Tag::AB16b16a));
  ASSERT_TRUE(blocked.ok()) << blocked.status().message();
  EXPECT_EQ(Plain(**blocked), expected);
  auto as_plain = weights.Get(plain, nullptr, plain);
  ASSERT_TRUE(as_plain.ok());
  EXPECT_NE((*as_plain)->get_data_handle(), static_cast<void*>(data.data()));
  EXPECT_EQ(Plain(**as_plain), expected);
  const dnnl::memory::desc plain3 = DnnlPlainDesc({1, 16, 24}, kF32);
  auto rank3 = weights.Get(plain3, nullptr, dnnl::memory::desc({1, 16, 24}, kF32, Tag::acb));
  ASSERT_TRUE(rank3.ok()) << rank3.status().message();
  auto back = DnnlReorderToNew(**rank3, plain3, 1);
  ASSERT_TRUE(back.ok());
  const float* p = static_cast<const float*>(back->get_data_handle());
  EXPECT_EQ(std::vector<float>(p, p + expected.size()), expected);
}

TEST(DnnlPackedWeightsTest, KeepsPlainDataItUsesInPlace) {
  std::vector<float> data = Iota(4 * 3);
  const dnnl::memory::desc plain = DnnlPlainDesc({4, 3}, kF32);
  DnnlPackedWeights weights;
  EXPECT_FALSE(weights.Release());  // nothing packed yet
  auto in_place = weights.Get(plain, data.data(), plain);
  ASSERT_TRUE(in_place.ok());
  EXPECT_EQ((*in_place)->get_data_handle(), static_cast<void*>(data.data()));
  EXPECT_FALSE(weights.Release());
  EXPECT_FALSE(weights.released());
}

}  // namespace
}  // namespace kiln::cpu
