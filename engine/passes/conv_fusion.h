// Conv fusion: a float Conv and the nodes that only post-process its result
// become one kiln::FusedConv (kernels/cpu/fused_conv.cc), executed as a
// single oneDNN convolution with post-ops:
//   Conv -> Add(per-channel constant)   folded into the bias
//        -> Add(residual of equal shape) a sum post-op (input 3)
//        -> activation                 an eltwise post-op (fusable_activation.h)
// in that order; each step needs the previous result to have no other reader
// and not to be a graph output or read by a subgraph. The residual must have
// the same (static or symbolic) shape as the Conv's output, so the Add does
// not broadcast. The fused node takes the place and output of the last
// absorbed node.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class ConvFusionPass final : public Pass {
 public:
  std::string name() const override { return "conv_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
