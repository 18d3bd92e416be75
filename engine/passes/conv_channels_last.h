// Conv channels-last chaining: a float convolution whose output is read
// only by other float convolutions (as their input X or residual Z) writes
// that output channels-last (NHWC in memory, the shape stays NCHW), and its
// readers read it so. oneDNN's convolutions prefer channels-last on current
// CPUs, so a chain of convolutions (a CNN backbone) then needs layout
// reorders only where it meets other operators, instead of two per
// convolution.
//
// The value keeps its name and shape; only its memory order changes, which
// is safe because every reader is a kiln::FusedConv that knows it
// (attributes x_channels_last, y_channels_last, z_channels_last; plain Conv
// nodes taking part become FusedConv). A 2-D MaxPool / AveragePool between
// such convolutions (its input from one, its result read only by them) joins
// the chain as kiln::MaxPoolChannelsLast / kiln::AveragePoolChannelsLast,
// which read and write channels-last (a CNN stem's pool then needs no
// reorders around it). A GlobalAveragePool / GlobalMaxPool reading a
// convolution's output ends the chain as kiln::GlobalAveragePoolChannelsLast
// / kiln::GlobalMaxPoolChannelsLast: they read channels-last, and their
// output (all spatial dimensions 1) is the same in either layout. Values
// that are graph outputs or read by subgraphs are never changed. Runs after
// conv_fusion.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class ConvChannelsLastPass final : public Pass {
 public:
  std::string name() const override { return "conv_channels_last"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
