// ConvTranspose: the adjoint of Conv (fractionally strided convolution), with
// groups, dilations, pads / auto_pad, output_padding, output_shape and bias.
// Lowered to GEMM (W^T x X) followed by col2im accumulation.
#include "engine/kernels/cpu/conv_util.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

template <typename T>
void ConvTransposeForward(const T* x, const T* w, const T* bias, const ConvGeometry& g, T* y) {
  using C = ComputeType<T>;
  const int64_t cg = g.in_channels / g.group;   // input channels per group
  const int64_t mg = g.out_channels / g.group;  // output channels per group
  const int64_t image_size = g.image_size(), grid_size = g.grid_size();
  const int64_t rows = mg * g.kernel_size();  // col rows per group
  std::vector<T> col(static_cast<size_t>(rows * grid_size));
  std::fill(y, y + g.batch * g.out_channels * image_size, T(0));
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t grp = 0; grp < g.group; ++grp) {
      const T* xg = x + (n * g.in_channels + grp * cg) * grid_size;
      // col[mg * K, grid] = W_g^T [mg * K, cg] * X_g [cg, grid]
      TypedGemm<T>(true, false, rows, grid_size, cg, C(1), w + grp * cg * rows, rows, xg, grid_size, C(0),
                   col.data(), grid_size);
      Col2ImAdd(col.data(), mg, g, y + (n * g.out_channels + grp * mg) * image_size);
    }
    if (bias != nullptr) {
      for (int64_t m = 0; m < g.out_channels; ++m) {
        T* ym = y + (n * g.out_channels + m) * image_size;
        const C b = static_cast<C>(bias[m]);
        for (int64_t i = 0; i < image_size; ++i) ym[i] = static_cast<T>(static_cast<C>(ym[i]) + b);
      }
    }
  }
}

class ConvTransposeKernel final : public OpKernel {
 public:
  explicit ConvTransposeKernel(ConvAttributes attrs) : attrs_(std::move(attrs)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (x.dtype() != w.dtype()) return Status::InvalidArgument("X and W have different data types");
    KILN_ASSIGN_OR_RETURN(ConvGeometry g, ConvTransposeGeometryFor(attrs_, x.shape(), w.shape()));
    KILN_RETURN_IF_ERROR(CheckConvBias(ctx, x, g.out_channels));
    const bool has_bias = ctx.has_input(2);
    Shape out_shape{g.batch, g.out_channels};
    out_shape.insert(out_shape.end(), g.image.begin(), g.image.end());
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
    if (y.num_elements() == 0) return Status::Ok();
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      ConvTransposeForward<T>(x.data<T>(), w.data<T>(), has_bias ? ctx.input(2).data<T>() : nullptr, g,
                              y.data<T>());
    });
  }

 private:
  ConvAttributes attrs_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConvTranspose(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(ConvAttributes attrs, ConvAttributes::FromNode(init.node));
  return std::unique_ptr<OpKernel>(new ConvTransposeKernel(std::move(attrs)));
}

}  // namespace kiln::cpu
