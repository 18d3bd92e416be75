#include "engine/kernels/cpu/dnnl_context.h"


#include <gtest/gtest.h>

#include <vector>

namespace kiln::cpu {
namespace {

TEST(DnnlContextTest, MapsSupportedTypesAndRefusesOthers) {
  EXPECT_EQ(*DnnlDataType(DataType::kFloat), dnnl::memory::data_type::f32);
  EXPECT_EQ(*DnnlDataType(DataType::kInt8), dnnl::memory::data_type::s8);
  EXPECT_EQ(DnnlDataType(DataType::kDouble).status().code(), StatusCode::kUnimplemented);
}

TEST(DnnlContextTest, PlainDescIsRowMajor) {
  const dnnl::memory::desc desc = DnnlPlainDesc({2, 3, 4}, dnnl::memory::data_type::f32);
  EXPECT_EQ(desc.get_size(), 2u * 3 * 4 * sizeof(float));
  EXPECT_EQ(desc.dims(), (dnnl::memory::dims{2, 3, 4}));
}

TEST(DnnlContextTest, ReorderToNewTransposes) {
  // A 2x3 row-major matrix reordered into column-major order.
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const dnnl::memory src = DnnlWrap(DnnlPlainDesc({2, 3}, dnnl::memory::data_type::f32), a.data());
  const dnnl::memory::desc col_major({2, 3}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ba);
  auto dst = DnnlReorderToNew(src, col_major, 1);
  ASSERT_TRUE(dst.ok()) << dst.status().message();
  const float* out = static_cast<const float*>(dst->get_data_handle());
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(DnnlContextTest, UnsupportedPrimitiveBecomesUnimplemented) {
  // A matmul whose shapes do not match is refused when the descriptor is made.
  Status status = DnnlCatch("matmul", [] {
    const auto f32 = dnnl::memory::data_type::f32;
    dnnl::matmul::desc desc(DnnlPlainDesc({2, 3}, f32), DnnlPlainDesc({4, 5}, f32), DnnlPlainDesc({2, 5}, f32));
    dnnl::matmul::primitive_desc pd(desc, DnnlEngine());
  });
  EXPECT_EQ(status.code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace kiln::cpu

namespace kiln::cpu {
namespace {

TEST(DnnlThreadsFor, OneThreadForWorkShorterThanAFewWakeUps) {
  EXPECT_EQ(DnnlThreadsFor(1, 1e12), 1);
  EXPECT_EQ(DnnlThreadsFor(4, 1e3), 1);  // a microsecond's work never wakes anyone
  // Work of many wake-ups uses every thread.
  EXPECT_EQ(DnnlThreadsFor(2, 10 * kWorkerWakeMicros * kFloatFlopsPerMicrosecond), 2);
  EXPECT_EQ(DnnlThreadsFor(4, 10 * kWorkerWakeMicros * kFloatFlopsPerMicrosecond), 4);
  // Two wake-ups' worth of float work stays on one thread; six run on two.
  EXPECT_EQ(DnnlThreadsFor(2, 2 * kWorkerWakeMicros * kFloatFlopsPerMicrosecond), 1);
  const double six_wake_ups = 6 * kWorkerWakeMicros * kFloatFlopsPerMicrosecond;
  EXPECT_EQ(DnnlThreadsFor(2, six_wake_ups), 2);
  // Few operations over many bytes (a matrix-vector product): memory-bound, two threads.
  EXPECT_EQ(DnnlThreadsFor(2, 1e5, kFloatFlopsPerMicrosecond, 6 * kWorkerWakeMicros * kBytesPerMicrosecond), 2);
  EXPECT_EQ(DnnlThreadsFor(2, 1e5, kFloatFlopsPerMicrosecond, 2 * kWorkerWakeMicros * kBytesPerMicrosecond), 1);
  // The same operation count is four times shorter in int8: one thread.
  EXPECT_EQ(DnnlThreadsFor(2, six_wake_ups, kInt8OpsPerMicrosecond), 1);
}

}  // namespace
}  // namespace kiln::cpu
