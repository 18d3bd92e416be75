// PRelu: y = x for x >= 0 and slope * x otherwise. The slope broadcasts
// onto X (opset >= 7); before opset 7 a lower-rank slope runs along the
// channel axis (axis 1).
#include <type_traits>

#include "engine/kernels/cpu/binary_elementwise.h"

namespace kiln::cpu {
namespace {

class PReluKernel final : public OpKernel {
 public:
  explicit PReluKernel(const KernelInit& init) : channel_slope_(init.opset < 7) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(RequireSameTypeInputs(ctx));
    const Tensor x = ctx.input(0);
    Tensor slope = ctx.input(1);
    if (channel_slope_ && slope.num_elements() != 1 && slope.rank() < x.rank()) {
      KILN_ASSIGN_OR_RETURN(Shape shape, LegacyBroadcastShape(x.shape(), slope.shape(), 1, true));
      slope = slope.Reshape(shape);
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({x.shape(), slope.shape()}));
    if (out_shape != x.shape()) {
      return Status::InvalidArgument("slope of shape " + ShapeToString(slope.shape()) +
                                     " does not broadcast to X of shape " + ShapeToString(x.shape()));
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
    return DispatchType<AllNumericTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      BinaryBroadcastLoop<T, T, T>(x, slope, y, [](T v, T s) {
        if constexpr (std::is_unsigned_v<C>) {
          return v;
        } else {
          const C c = static_cast<C>(v);
          return c < 0 ? static_cast<T>(static_cast<C>(s) * c) : v;
        }
      });
    });
  }

 private:
  bool channel_slope_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakePRelu(const KernelInit& init) { return MakeKernel<PReluKernel>(init); }

}  // namespace kiln::cpu
