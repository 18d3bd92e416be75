#include "engine/kernels/cpu/dnnl_implementation_choice.h"

#include <gtest/gtest.h>

#include "engine/kernels/cpu/dnnl_context.h"

namespace kiln::cpu {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

TEST(DnnlImplementationChoice, RecognisesFirstGenerationAmxConvolutions) {
  EXPECT_TRUE(IsFirstGenerationAmxConvolution("jit:avx512_core_amx_int8"));
  EXPECT_TRUE(IsFirstGenerationAmxConvolution("jit_1x1:avx512_core_amx_int8"));
  EXPECT_TRUE(IsFirstGenerationAmxConvolution("jit:avx512_core_amx_bf16"));
  EXPECT_FALSE(IsFirstGenerationAmxConvolution("brgconv_1x1:avx512_core_amx_int8"));
  EXPECT_FALSE(IsFirstGenerationAmxConvolution("brgconv:avx512_core_amx_int8"));
  EXPECT_FALSE(IsFirstGenerationAmxConvolution("brgconv_1x1:avx512_core_vnni"));
  EXPECT_FALSE(IsFirstGenerationAmxConvolution("jit_int8:avx512_core_vnni"));
  EXPECT_FALSE(IsFirstGenerationAmxConvolution(""));
}

// An int8 1x1 convolution over a channels-last u8 image, as Int8Conv builds it.
dnnl::convolution_forward::primitive_desc Int8Conv1x1(long in_channels, long out_channels, long size, long stride) {
  const long out = (size - 1) / stride + 1;
  const dnnl::memory::desc src({1, in_channels, size, size}, dt::u8, tag::nhwc);
  const dnnl::memory::desc weights({out_channels, in_channels, 1, 1}, dt::s8, tag::any);
  const dnnl::memory::desc dst({1, out_channels, out, out}, dt::u8, tag::nhwc);
  const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                             src, weights, dst, {stride, stride}, {0, 0}, {0, 0}, {0, 0});
  return dnnl::convolution_forward::primitive_desc(desc, DnnlEngine());
}

TEST(DnnlImplementationChoice, SmallInt8ConvolutionsAvoidFirstGenerationAmx) {
  // MobileNetV2's 192 -> 32 channels on 28x28: 4.8 million multiply-adds.
  dnnl::convolution_forward::primitive_desc pd = Int8Conv1x1(192, 32, 28, 1);
  const std::string chosen = PreferFastInt8Convolution(pd, 192.0 * 32 * 28 * 28, 192, 1);
  EXPECT_EQ(chosen, pd.impl_info_str());
  EXPECT_FALSE(IsFirstGenerationAmxConvolution(chosen)) << chosen;
  // The chosen implementation still builds.
  EXPECT_NO_THROW(dnnl::convolution_forward{pd});
}

TEST(DnnlImplementationChoice, ShortReductionsAvoidFirstGenerationAmx) {
  // 16 input channels fill a quarter of an AMX tile row, however large the image.
  dnnl::convolution_forward::primitive_desc pd = Int8Conv1x1(16, 96, 112, 1);
  const std::string chosen = PreferFastInt8Convolution(pd, 16.0 * 96 * 112 * 112, 16, 1);
  EXPECT_FALSE(IsFirstGenerationAmxConvolution(chosen)) << chosen;
}

TEST(DnnlImplementationChoice, LargeInt8ConvolutionsKeepOneDnnsChoice) {
  // ResNet50's 256 -> 512 channels, stride 2, 56x56 -> 28x28: 103 million multiply-adds.
  dnnl::convolution_forward::primitive_desc pd = Int8Conv1x1(256, 512, 56, 2);
  const std::string first = pd.impl_info_str();
  EXPECT_EQ(PreferFastInt8Convolution(pd, 256.0 * 512 * 28 * 28, 256, 2), first);
  EXPECT_EQ(pd.impl_info_str(), first);
}

}  // namespace
}  // namespace kiln::cpu
