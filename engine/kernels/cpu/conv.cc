// Conv: N-d convolution with groups, strides, dilations, pads / auto_pad and bias.
// ConvInteger: the same on uint8/int8 data with zero points, accumulating in int32.
// QLinearConv: quantized convolution requantized to the output's scale and zero point.
#include "engine/kernels/cpu/conv_util.h"
#include "engine/kernels/cpu/dnnl_conv.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/quantize_util.h"

namespace kiln::cpu {
namespace {

Shape ConvOutputShape(const ConvGeometry& g) {
  Shape out{g.batch, g.out_channels};
  out.insert(out.end(), g.grid.begin(), g.grid.end());
  return out;
}

// float32 runs on oneDNN (DnnlConv); other types and shapes it does not
// cover on Kiln's im2col + GEMM.
class ConvKernel final : public OpKernel {
 public:
  ConvKernel(ConvAttributes attrs, const KernelInit& init)
      : attrs_(std::move(attrs)), dnnl_(init, FusedActivation{}, /*residual_sum=*/false) {
    dnnl_.Prepare(init, attrs_);
  }

  bool ReleaseConstantInput(size_t input) override { return input == 1 && dnnl_.ReleaseConstantWeights(); }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (x.dtype() != w.dtype()) return Status::InvalidArgument("X and W have different data types");
    KILN_ASSIGN_OR_RETURN(ConvGeometry g, ConvGeometryFor(attrs_, x.shape(), w.shape()));
    KILN_RETURN_IF_ERROR(CheckConvBias(ctx, x, g.out_channels));
    const bool has_bias = ctx.has_input(2);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), ConvOutputShape(g));
    if (y.num_elements() == 0) return Status::Ok();
    if (DnnlConv::Supports(x, w, g)) {
      return dnnl_.Run(ctx, g, x, w, has_bias ? &ctx.input(2) : nullptr, nullptr, y);
    }
    if (dnnl_.weights_released()) return Status::Unimplemented("Conv of this geometry with packed weights");
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      ConvForward<T>(x.data<T>(), w.data<T>(), has_bias ? ctx.input(2).data<T>() : nullptr, g, y.data<T>(),
                     ctx.thread_pool());
    });
  }

 private:
  ConvAttributes attrs_;
  DnnlConv dnnl_;
};

// int32 accumulations of a quantized convolution: inputs of ConvInteger /
// QLinearConv at the given indices (zero points may be absent).
Result<std::vector<int32_t>> QuantizedConv(const KernelContext& ctx, const ConvAttributes& attrs, int x_index,
                                           int x_zp_index, int w_index, int w_zp_index, ConvGeometry& g) {
  const Tensor& x = ctx.input(x_index);
  const Tensor& w = ctx.input(w_index);
  KILN_ASSIGN_OR_RETURN(g, ConvGeometryFor(attrs, x.shape(), w.shape()));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> x_zp, ReadPerChannel<int32_t>(ctx, x_zp_index, 1, "x_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> w_zp,
                        ReadPerChannel<int32_t>(ctx, w_zp_index, g.out_channels, "w_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> xi, WidenQuantized(x, x_zp, 1));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> wi, WidenQuantized(w, w_zp, SizeFromDim(w.shape(), 1, w.shape().size())));
  std::vector<int32_t> acc(static_cast<size_t>(g.batch * g.out_channels * g.grid_size()));
  if (!acc.empty()) ConvForward<int32_t>(xi.data(), wi.data(), nullptr, g, acc.data(), ctx.thread_pool());
  return acc;
}

class ConvIntegerKernel final : public OpKernel {
 public:
  explicit ConvIntegerKernel(ConvAttributes attrs) : attrs_(std::move(attrs)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    ConvGeometry g;
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> acc, QuantizedConv(ctx, attrs_, 0, 2, 1, 3, g));
    Tensor& y = ctx.AllocateOutput(0, DataType::kInt32, ConvOutputShape(g));
    std::copy(acc.begin(), acc.end(), y.data<int32_t>());
    return Status::Ok();
  }

 private:
  ConvAttributes attrs_;
};

class QLinearConvKernel final : public OpKernel {
 public:
  explicit QLinearConvKernel(ConvAttributes attrs) : attrs_(std::move(attrs)) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i : {0, 1, 3, 4, 6}) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    ConvGeometry g;
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> acc, QuantizedConv(ctx, attrs_, 0, 2, 3, 5, g));
    const int64_t channels = g.out_channels;
    KILN_ASSIGN_OR_RETURN(std::vector<double> x_scale, ReadPerChannel<double>(ctx, 1, 1, "x_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<double> w_scale, ReadPerChannel<double>(ctx, 4, channels, "w_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<double> y_scale, ReadPerChannel<double>(ctx, 6, 1, "y_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> y_zp, ReadPerChannel<int32_t>(ctx, 7, 1, "y_zero_point"));
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> bias, ReadPerChannel<int32_t>(ctx, 8, channels, "B"));
    if (ctx.has_input(8) && ctx.input(8).dtype() != DataType::kInt32) {
      return Status::InvalidArgument("B must be int32");
    }
    const DataType out_type = ctx.has_input(7) ? ctx.input(7).dtype() : ctx.input(0).dtype();
    Tensor& y = ctx.AllocateOutput(0, out_type, ConvOutputShape(g));
    const int64_t grid_size = g.grid_size();
    return DispatchType<QuantTypes>(out_type, [&](auto tag) {
      using Q = typename decltype(tag)::type;
      Q* py = y.data<Q>();
      for (int64_t nm = 0; nm < g.batch * channels; ++nm) {
        const size_t m = static_cast<size_t>(nm % channels);
        const float multiplier = static_cast<float>(x_scale[0] * w_scale[m] / y_scale[0]);
        const int32_t* src = acc.data() + nm * grid_size;
        Q* dst = py + nm * grid_size;
        for (int64_t i = 0; i < grid_size; ++i) {
          dst[i] = SaturateRound<Q>(std::nearbyint(static_cast<float>(src[i] + bias[m]) * multiplier) +
                                    static_cast<float>(y_zp[0]));
        }
      }
    });
  }

 private:
  ConvAttributes attrs_;
};

template <typename K>
Result<std::unique_ptr<OpKernel>> MakeConvFamily(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(ConvAttributes attrs, ConvAttributes::FromNode(init.node));
  return std::unique_ptr<OpKernel>(new K(std::move(attrs)));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConv(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(ConvAttributes attrs, ConvAttributes::FromNode(init.node));
  return std::unique_ptr<OpKernel>(new ConvKernel(std::move(attrs), init));
}
Result<std::unique_ptr<OpKernel>> MakeConvInteger(const KernelInit& init) {
  return MakeConvFamily<ConvIntegerKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeQLinearConv(const KernelInit& init) {
  return MakeConvFamily<QLinearConvKernel>(init);
}

}  // namespace kiln::cpu
