// Expand: broadcasts a tensor to a shape (bidirectionally, like NumPy).
#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& in = ctx.input(0);
    const Shape requested = ctx.input(1).ToInt64Vector();
    for (int64_t d : requested) {
      if (d < 0) return ShapeError("shape " + ShapeToString(requested) + " has a negative dimension");
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({in.shape(), requested}));
    if (out_shape == in.shape()) {
      ctx.SetOutput(0, Value(in));
      return Status::Ok();
    }
    KILN_RETURN_IF_ERROR(CheckOutputShape(out_shape, in.dtype(), "expanded shape"));
    const std::vector<int64_t> strides = BroadcastStrides(in.shape(), out_shape);
    Tensor& out = ctx.AllocateOutput(0, in.dtype(), std::move(out_shape));
    GatherStrided(in, 0, strides, out);
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeExpand(const KernelInit& init) { return MakeKernel<ExpandKernel>(init); }

}  // namespace kiln::cpu
