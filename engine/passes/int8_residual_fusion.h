// Int8 residual fusion: a kiln::Int8Add whose addend is the quantized output
// of a kiln::Int8Conv read by nothing else becomes that convolution's
// epilogue, as the float path's FusedConv takes its residual:
//
//   Int8Conv(x) -> c_q ─┐
//                       Int8Add [+ Relu] -> y_q     =>   Int8Conv(x, residual r_q) -> y_q
//            r_q ───────┘
//
// The fused convolution computes y = act(conv + r_scale*(r_q - r_zp)) and
// quantizes once with the sum's output scale and zero point (oneDNN's sum
// post-op reads r_q from the destination just before writing it, so r_q's
// buffer may become y's). ResNet blocks end this way: a separate Int8Add
// pass over the block's output cost about 14 % of int8 ResNet50's time.
// Skipping the convolution output's own rounding makes the result at least
// as accurate as the unfused pair (not bit-identical to it).
//
// Only when the convolution has no activation of its own, c_q, r_q and y_q
// have one element type, one layout (x/y channels-last flags agree) and
// equal static shapes (no broadcasting), and the sum's zero points exist.
// The fused node runs where the Int8Add ran (after both of its inputs).
// Inputs 9-11 of kiln::Int8Conv are residual, residual_scale,
// residual_zero_point (kernels/cpu/int8_params.h). Runs after
// int8_channels_last, which leaves convolutions with a residual alone.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class Int8ResidualFusionPass final : public Pass {
 public:
  std::string name() const override { return "int8_residual_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
