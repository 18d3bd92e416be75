// CumSum: running sums along an axis (given as a scalar input), optionally
// exclusive (each output omits its own element) and/or reversed.
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class CumSumKernel final : public OpKernel {
 public:
  explicit CumSumKernel(const KernelInit& init)
      : exclusive_(init.node.GetInt("exclusive", 0) != 0), reverse_(init.node.GetInt("reverse", 0) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& input = ctx.input(0);
    const Tensor& axis_tensor = ctx.input(1);
    if (axis_tensor.num_elements() != 1) return ShapeError("axis must be a scalar");
    if (axis_tensor.dtype() != DataType::kInt32 && axis_tensor.dtype() != DataType::kInt64) {
      return Status::InvalidArgument("axis must be int32 or int64");
    }
    if (input.rank() == 0) return ShapeError("input must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_tensor.GetInt(0), input.rank()));
    const auto axis_u = static_cast<size_t>(axis);
    const Shape& shape = input.shape();
    const int64_t outer = SizeFromDim(shape, 0, axis_u);
    const int64_t axis_dim = shape[axis_u];
    const int64_t inner = SizeFromDim(shape, axis_u + 1, shape.size());

    Tensor& out = ctx.AllocateOutput(0, input.dtype(), shape);
    const bool exclusive = exclusive_;
    // Walk the axis forwards or backwards; `step` is the stride between rows.
    const int64_t first = reverse_ ? axis_dim - 1 : 0;
    const int64_t step = reverse_ ? -inner : inner;
    return DispatchType<AllNumericTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      std::vector<C> sum(static_cast<size_t>(inner));
      for (int64_t o = 0; o < outer; ++o) {
        const T* src = input.data<T>() + (o * axis_dim + first) * inner;
        T* dst = out.data<T>() + (o * axis_dim + first) * inner;
        std::fill(sum.begin(), sum.end(), C(0));
        for (int64_t a = 0; a < axis_dim; ++a, src += step, dst += step) {
          for (int64_t i = 0; i < inner; ++i) {
            C& s = sum[static_cast<size_t>(i)];
            if (exclusive) {
              dst[i] = static_cast<T>(s);
              s += static_cast<C>(src[i]);
            } else {
              s += static_cast<C>(src[i]);
              dst[i] = static_cast<T>(s);
            }
          }
        }
      }
    });
  }

 private:
  bool exclusive_;
  bool reverse_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeCumSum(const KernelInit& init) { return MakeKernel<CumSumKernel>(init); }

}  // namespace kiln::cpu
