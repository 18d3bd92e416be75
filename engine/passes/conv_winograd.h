// Conv Winograd selection: marks float 3x3 stride-1 convolutions (no groups,
// no dilation, at least 32 input and output channels) to run with oneDNN's
// Winograd algorithm (attribute algorithm = "winograd" on kiln::FusedConv;
// plain Conv nodes become FusedConv). Winograd computes a 3x3 convolution
// with about a quarter of the multiplications of the direct method: on
// resnet50's 3x3 layers it is 1.2-1.9x faster on this project's AVX-512
// CPU, for a rounding error well inside the reference bounds (cuDNN,
// TensorRT and OpenVINO make the same trade by default).
//
// The kernel falls back to the direct algorithm for shapes oneDNN's
// Winograd does not cover, and reorders channels-last tensors into the
// blocked layout Winograd needs at the node's edges. `--disable-pass
// conv_winograd` keeps every convolution direct (bit-for-bit closer to
// other runtimes). Runs after conv_channels_last.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class ConvWinogradPass final : public Pass {
 public:
  std::string name() const override { return "conv_winograd"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
