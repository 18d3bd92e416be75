// Max, Min, Sum, Mean: elementwise reduction over any number of inputs
// with multidirectional broadcasting. Max and Min propagate NaN.
#include <vector>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class VariadicOp { kMax, kMin, kSum, kMean };

template <VariadicOp kOp, typename C>
C Combine(C x, C y) {
  // `x != x` is the NaN test; it is always false for integers.
  if constexpr (kOp == VariadicOp::kMax) {
    return (x != x || x > y) ? x : y;
  } else if constexpr (kOp == VariadicOp::kMin) {
    return (x != x || x < y) ? x : y;
  } else {
    return static_cast<C>(x + y);
  }
}

template <VariadicOp kOp, typename Types>
class VariadicKernel final : public OpKernel {
 public:
  explicit VariadicKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    const int n = ctx.num_inputs();
    if (n == 0) return Status::InvalidArgument("needs at least one input");
    std::vector<Tensor> inputs;
    std::vector<Shape> shapes;
    inputs.reserve(static_cast<size_t>(n));
    shapes.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      inputs.push_back(ctx.input(i));
      shapes.push_back(inputs.back().shape());
      if (inputs.back().dtype() != inputs[0].dtype()) {
        return Status::InvalidArgument("input " + std::to_string(i) + " has type " +
                                       std::string(DataTypeName(inputs.back().dtype())) + ", input 0 has " +
                                       std::string(DataTypeName(inputs[0].dtype())));
      }
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(shapes));
    Tensor& out = ctx.AllocateOutput(0, inputs[0].dtype(), out_shape);
    return DispatchType<Types>(inputs[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      auto combine = [](T x, T y) { return static_cast<T>(Combine<kOp, C>(static_cast<C>(x), static_cast<C>(y))); };
      if (n == 1) {
        // A single input still broadcasts to nothing: copy it.
        const T* src = inputs[0].data<T>();
        T* dst = out.data<T>();
        for (int64_t i = 0; i < out.num_elements(); ++i) dst[i] = src[i];
      } else {
        BinaryBroadcastLoop<T, T, T>(inputs[0], inputs[1], out, combine);
        // Accumulate in place: `out` is read and written at the same index.
        for (int i = 2; i < n; ++i) BinaryBroadcastLoop<T, T, T>(out, inputs[static_cast<size_t>(i)], out, combine);
      }
      if constexpr (kOp == VariadicOp::kMean) {
        const C count = static_cast<C>(n);
        T* dst = out.data<T>();
        for (int64_t i = 0; i < out.num_elements(); ++i) dst[i] = static_cast<T>(static_cast<C>(dst[i]) / count);
      }
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMax(const KernelInit& init) {
  return MakeKernel<VariadicKernel<VariadicOp::kMax, AllNumericTypes>>(init);
}
Result<std::unique_ptr<OpKernel>> MakeMin(const KernelInit& init) {
  return MakeKernel<VariadicKernel<VariadicOp::kMin, AllNumericTypes>>(init);
}
Result<std::unique_ptr<OpKernel>> MakeSum(const KernelInit& init) {
  return MakeKernel<VariadicKernel<VariadicOp::kSum, AllNumericTypes>>(init);
}
Result<std::unique_ptr<OpKernel>> MakeMean(const KernelInit& init) {
  return MakeKernel<VariadicKernel<VariadicOp::kMean, FloatTypes>>(init);
}

}  // namespace kiln::cpu
