// Clip: limits every element to [min, max]. Bounds are float attributes
// before opset 11 and optional scalar inputs of X's type from opset 11; an
// absent bound does not limit. When min > max every element becomes max.
#include <limits>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/numeric_convert.h"
#include "engine/kernels/cpu/unary_elementwise.h"

namespace kiln::cpu {
namespace {

template <typename C>
C Unbounded(bool upper) {
  if constexpr (std::is_floating_point_v<C>) {
    return upper ? std::numeric_limits<C>::infinity() : -std::numeric_limits<C>::infinity();
  } else {
    return upper ? std::numeric_limits<C>::max() : std::numeric_limits<C>::lowest();
  }
}

class ClipKernel final : public OpKernel {
 public:
  explicit ClipKernel(const KernelInit& init)
      : bounds_from_attributes_(init.opset < 11),
        min_attr_(init.node.GetFloat("min", -std::numeric_limits<float>::infinity())),
        max_attr_(init.node.GetFloat("max", std::numeric_limits<float>::infinity())) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor x = ctx.input(0);
    for (int i = 1; i <= 2 && !bounds_from_attributes_; ++i) {
      if (!ctx.has_input(i)) continue;
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      const Tensor& bound = ctx.input(i);
      if (bound.dtype() != x.dtype() || bound.num_elements() != 1) {
        return Status::InvalidArgument(std::string(i == 1 ? "min" : "max") + " must be a single " +
                                       std::string(DataTypeName(x.dtype())) + " value, got " +
                                       std::string(DataTypeName(bound.dtype())) + ShapeToString(bound.shape()));
      }
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());
    return DispatchType<AllNumericTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      C lo = Unbounded<C>(false), hi = Unbounded<C>(true);
      if (bounds_from_attributes_) {
        lo = ConvertNumber<C>(min_attr_);
        hi = ConvertNumber<C>(max_attr_);
      } else {
        if (ctx.has_input(1)) lo = static_cast<C>(ctx.input(1).data<T>()[0]);
        if (ctx.has_input(2)) hi = static_cast<C>(ctx.input(2).data<T>()[0]);
      }
      MapElements<T, T>(x, y, [lo, hi](T v) {
        C c = static_cast<C>(v);
        c = c < lo ? lo : c;
        return static_cast<T>(c > hi ? hi : c);
      });
    });
  }

 private:
  bool bounds_from_attributes_;
  float min_attr_;
  float max_attr_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeClip(const KernelInit& init) { return MakeKernel<ClipKernel>(init); }

}  // namespace kiln::cpu
