// Where: picks X where the condition is true and Y elsewhere, broadcasting
// all three inputs together.
#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class WhereKernel final : public OpKernel {
 public:
  explicit WhereKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor cond = ctx.input(0);
    const Tensor x = ctx.input(1);
    const Tensor y = ctx.input(2);
    if (cond.dtype() != DataType::kBool) {
      return Status::InvalidArgument("condition must be bool, got " + std::string(DataTypeName(cond.dtype())));
    }
    if (x.dtype() != y.dtype()) {
      return Status::InvalidArgument("X and Y have different data types: " + std::string(DataTypeName(x.dtype())) +
                                     " and " + std::string(DataTypeName(y.dtype())));
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({cond.shape(), x.shape(), y.shape()}));
    Tensor& out = ctx.AllocateOutput(0, x.dtype(), out_shape);
    return DispatchType<AllTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const bool* pc = cond.data<bool>();
      const T* px = x.data<T>();
      const T* py = y.data<T>();
      T* po = out.data<T>();
      ForEachBroadcastRun<3>(out_shape, {&cond.shape(), &x.shape(), &y.shape()},
                             [&](int64_t o, const std::array<int64_t, 3>& off, const std::array<int64_t, 3>& step,
                                 int64_t n) {
                               const bool* c = pc + off[0];
                               const T* a = px + off[1];
                               const T* b = py + off[2];
                               T* z = po + o;
                               for (int64_t k = 0; k < n; ++k) {
                                 z[k] = c[k * step[0]] ? a[k * step[1]] : b[k * step[2]];
                               }
                             });
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeWhere(const KernelInit& init) { return MakeKernel<WhereKernel>(init); }

}  // namespace kiln::cpu
