// ConstantOfShape: a tensor of the given shape filled with the single value
// of the `value` attribute (float 0 by default).
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"

namespace kiln::cpu {
namespace {

class ConstantOfShapeKernel final : public OpKernel {
 public:
  explicit ConstantOfShapeKernel(Tensor value) : value_(std::move(value)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Shape shape = ctx.input(0).ToInt64Vector();
    KILN_RETURN_IF_ERROR(CheckOutputShape(shape, value_.dtype(), "shape"));
    Tensor& out = ctx.AllocateOutput(0, value_.dtype(), shape);
    return DispatchType<NumericAndBoolTypes>(value_.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::fill_n(out.data<T>(), out.num_elements(), value_.data<T>()[0]);
    });
  }

 private:
  Tensor value_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConstantOfShape(const KernelInit& init) {
  Tensor value = Tensor::Scalar<float>(0.0f);
  if (const Tensor* t = init.node.GetTensor("value")) {
    if (t->num_elements() != 1) return Status::InvalidArgument("value must hold exactly one element");
    if (t->dtype() == DataType::kString) return Status::Unimplemented("ConstantOfShape of strings");
    value = *t;
  }
  return std::unique_ptr<OpKernel>(new ConstantOfShapeKernel(std::move(value)));
}

}  // namespace kiln::cpu
