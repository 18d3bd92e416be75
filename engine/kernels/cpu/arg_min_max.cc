// ArgMax, ArgMin: int64 index of the largest / smallest element along an axis
// (first occurrence, or last with select_last_index), keeping the axis as a
// dimension of size 1 when keepdims is set.
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class ArgMinMaxKernel final : public OpKernel {
 public:
  ArgMinMaxKernel(const KernelInit& init, bool is_max)
      : is_max_(is_max),
        axis_(init.node.GetInt("axis", 0)),
        keepdims_(init.node.GetInt("keepdims", 1) != 0),
        select_last_(init.node.GetInt("select_last_index", 0) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    if (input.rank() == 0) return ShapeError("input must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, input.rank()));
    const auto axis_u = static_cast<size_t>(axis);
    const Shape& shape = input.shape();
    const int64_t axis_dim = shape[axis_u];
    if (axis_dim == 0) return ShapeError("cannot reduce over an empty axis");
    const int64_t outer = SizeFromDim(shape, 0, axis_u);
    const int64_t inner = SizeFromDim(shape, axis_u + 1, shape.size());

    Shape out_shape = shape;
    if (keepdims_) {
      out_shape[axis_u] = 1;
    } else {
      out_shape.erase(out_shape.begin() + axis);
    }
    Tensor& out = ctx.AllocateOutput(0, DataType::kInt64, out_shape);
    const bool is_max = is_max_, select_last = select_last_;
    return DispatchType<AllNumericTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      // `better(v, best)`: whether v replaces the current best.
      auto run = [&](auto better) {
        std::vector<C> best(static_cast<size_t>(inner));
        for (int64_t o = 0; o < outer; ++o) {
          const T* src = input.data<T>() + o * axis_dim * inner;
          int64_t* dst = out.data<int64_t>() + o * inner;
          for (int64_t i = 0; i < inner; ++i) {
            best[static_cast<size_t>(i)] = static_cast<C>(src[i]);
            dst[i] = 0;
          }
          for (int64_t a = 1; a < axis_dim; ++a) {
            const T* row = src + a * inner;
            for (int64_t i = 0; i < inner; ++i) {
              const C v = static_cast<C>(row[i]);
              if (better(v, best[static_cast<size_t>(i)])) {
                best[static_cast<size_t>(i)] = v;
                dst[i] = a;
              }
            }
          }
        }
      };
      if (is_max) {
        if (select_last) run([](C v, C b) { return v >= b; });
        else run([](C v, C b) { return v > b; });
      } else {
        if (select_last) run([](C v, C b) { return v <= b; });
        else run([](C v, C b) { return v < b; });
      }
    });
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_;
  bool select_last_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeArgMax(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new ArgMinMaxKernel(init, true));
}
Result<std::unique_ptr<OpKernel>> MakeArgMin(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new ArgMinMaxKernel(init, false));
}

}  // namespace kiln::cpu
