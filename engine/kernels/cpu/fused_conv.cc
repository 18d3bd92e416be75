// kiln::FusedConv (internal, produced by passes/conv_activation_fusion):
//   Y = activation(Conv(X, W, B) + Z)
// Inputs X, W, optional B (bias), optional Z (a residual of Y's shape);
// Conv's attributes plus FusedActivation's (fused_activation.h), and
// x_channels_last / y_channels_last / z_channels_last (ints, default 0):
// the tensor is stored channels-last (NHWC in memory; its shape stays
// NCHW), set by passes/conv_channels_last on chains of convolutions;
// algorithm (string, default "direct"): "winograd" where
// passes/conv_winograd chose it.
// float32 runs as one oneDNN convolution with sum and eltwise post-ops;
// anything else (plain layouts only) runs Conv on Kiln's path, then the sum
// and the activation.
#include <algorithm>
#include <optional>

#include "engine/kernels/cpu/conv_util.h"
#include "engine/kernels/cpu/dnnl_conv.h"
#include "engine/kernels/cpu/fused_activation.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

constexpr int kResidualInput = 3;

class FusedConvKernel final : public OpKernel {
 public:
  FusedConvKernel(ConvAttributes attrs, FusedActivation activation, bool residual, DnnlConvLayout layout,
                  DnnlConvAlgorithm algorithm, const KernelInit& init)
      : attrs_(std::move(attrs)),
        activation_(activation),
        layout_(layout),
        dnnl_(init, activation, residual, layout, algorithm),
        residual_(residual) {
    dnnl_.Prepare(init, attrs_);
  }

  bool ReleaseConstantInput(size_t input) override { return input == 1 && dnnl_.ReleaseConstantWeights(); }

  // The residual's storage may become the output's (a ResNet block's sum):
  // oneDNN's sum post-op reads each element of the destination right before
  // writing it, so no copy of the residual into the output is needed. Only
  // when both are stored alike (a layout change in place would clobber it).
  int InPlaceInput() const override {
    return residual_ && layout_.residual_channels_last == layout_.y_channels_last ? static_cast<int>(kResidualInput)
                                                                                   : -1;
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (x.dtype() != w.dtype()) return Status::InvalidArgument("X and W have different data types");
    KILN_ASSIGN_OR_RETURN(ConvGeometry g, ConvGeometryFor(attrs_, x.shape(), w.shape()));
    KILN_RETURN_IF_ERROR(CheckConvBias(ctx, x, g.out_channels));
    Shape out_shape{g.batch, g.out_channels};
    out_shape.insert(out_shape.end(), g.grid.begin(), g.grid.end());
    const Tensor* residual = nullptr;
    if (ctx.num_inputs() > kResidualInput && ctx.has_input(kResidualInput)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(kResidualInput));
      residual = &ctx.input(kResidualInput);
      if (residual->dtype() != x.dtype() || residual->shape() != out_shape) {
        return Status::InvalidArgument("FusedConv residual must be a " + std::string(DataTypeName(x.dtype())) +
                                       " tensor of shape " + ShapeToString(out_shape) + ", got " +
                                       ShapeToString(residual->shape()));
      }
    }
    const Tensor* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
    if (y.num_elements() == 0) return Status::Ok();
    if (DnnlConv::Supports(x, w, g)) return dnnl_.Run(ctx, g, x, w, bias, residual, y);
    if (dnnl_.weights_released()) return Status::Unimplemented("FusedConv of this geometry with packed weights");
    if (layout_.any()) {
      return Status::Unimplemented("FusedConv with channels-last tensors needs float32 and 1-3 spatial dimensions");
    }
    if (x.dtype() != DataType::kFloat) {
      return Status::Unimplemented("FusedConv runs on float tensors only, got " +
                                   std::string(DataTypeName(x.dtype())));
    }
    // Kiln's own path writes the convolution before adding the residual:
    // keep a copy when the residual shares the output's storage.
    std::optional<Tensor> residual_copy;
    if (residual != nullptr && residual->raw_data() == y.raw_data()) {
      residual_copy = residual->Clone();
      residual = &*residual_copy;
    }
    ConvForward<float>(x.data<float>(), w.data<float>(), bias ? bias->data<float>() : nullptr, g, y.data<float>(),
                       ctx.thread_pool());
    float* py = y.data<float>();
    if (residual != nullptr) {
      const float* pr = residual->data<float>();
      for (int64_t i = 0; i < y.num_elements(); ++i) py[i] += pr[i];
    }
    activation_.Apply(py, y.num_elements());
    return Status::Ok();
  }

 private:
  ConvAttributes attrs_;
  FusedActivation activation_;
  DnnlConvLayout layout_;
  DnnlConv dnnl_;
  bool residual_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeFusedConv(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(ConvAttributes attrs, ConvAttributes::FromNode(init.node));
  KILN_ASSIGN_OR_RETURN(FusedActivation activation, FusedActivation::FromNode(init.node));
  const bool residual = init.node.inputs.size() > kResidualInput && !init.node.inputs[kResidualInput].empty();
  DnnlConvLayout layout;
  layout.x_channels_last = init.node.GetInt("x_channels_last", 0) != 0;
  layout.y_channels_last = init.node.GetInt("y_channels_last", 0) != 0;
  layout.residual_channels_last = residual && init.node.GetInt("z_channels_last", 0) != 0;
  const std::string algorithm = init.node.GetString("algorithm", "direct");
  if (algorithm != "direct" && algorithm != "winograd") {
    return Status::InvalidArgument("FusedConv: unknown algorithm '" + algorithm + "' (direct or winograd)");
  }
  return std::unique_ptr<OpKernel>(new FusedConvKernel(
      std::move(attrs), activation, residual, layout,
      algorithm == "winograd" ? DnnlConvAlgorithm::kWinograd : DnnlConvAlgorithm::kDirect, init));
}

}  // namespace kiln::cpu
