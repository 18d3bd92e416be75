// Int8 channels-last chaining: the int8 counterpart of conv_channels_last.
// oneDNN's int8 convolutions work in channels-last (NHWC) on current CPUs,
// so an int8 value passed between Kiln's fused integer operators is stored
// channels-last (NHWC in memory, the shape stays NCHW) instead of being
// reordered to NCHW and back around every kiln::Int8Conv.
//
// A value becomes channels-last when it is written by
//   - a kiln::Int8Conv with a quantized output (attribute y_channels_last),
//   - a kiln::Int8Add (attribute channels_last: a, b and y all channels-last),
//   - a 2-D MaxPool (becomes kiln::MaxPoolChannelsLast; its input and output
//     channels-last; qdq_fusion makes these from QDQ max pooling),
//   - a per-tensor QuantizeLinear of a 4-D float32 tensor (the chain's entry;
//     becomes kiln::QuantizeLinearToChannelsLast),
// and every reader of it is
//   - a kiln::Int8Conv reading it as x (attribute x_channels_last),
//   - a kiln::Int8Add (either addend) or such a MaxPool,
//   - a per-tensor DequantizeLinear (a chain's exit; becomes
//     kiln::DequantizeLinearFromChannelsLast, which writes planar float),
// and, for a QuantizeLinear, at least one reader is not a dequantize (else
// it would only transpose twice). An Int8Add or MaxPool works in one
// layout, so it joins only when its inputs and its result all can; that a
// dequantize may end a chain keeps e.g. the last residual sum of a ResNet,
// read by the final pooling, and so the whole residual trunk in the chain.
// Values that are graph outputs or read by subgraphs are never changed.
// Runs after qdq_fusion and dead-code elimination (the DequantizeLinear
// nodes the fusion made redundant are gone by then).
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class Int8ChannelsLastPass final : public Pass {
 public:
  std::string name() const override { return "int8_channels_last"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
