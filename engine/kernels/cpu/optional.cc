// Optional, OptionalHasElement, OptionalGetElement. An optional value is
// either its element (a tensor or sequence) or none, so wrapping and
// unwrapping pass values through without copying.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

// Optional: wraps its input, or makes an empty optional when the input is omitted.
class OptionalKernel final : public OpKernel {
 public:
  explicit OptionalKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    ctx.SetOutput(0, ctx.input_value(0));
    return Status::Ok();
  }
};

class OptionalHasElementKernel final : public OpKernel {
 public:
  explicit OptionalHasElementKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    ctx.SetOutput(0, Value(Tensor::Scalar<bool>(ctx.has_input(0))));
    return Status::Ok();
  }
};

class OptionalGetElementKernel final : public OpKernel {
 public:
  explicit OptionalGetElementKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    if (!ctx.has_input(0)) return Status::InvalidArgument("the optional input is empty");
    ctx.SetOutput(0, ctx.input_value(0));
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeOptional(const KernelInit& init) { return MakeKernel<OptionalKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeOptionalHasElement(const KernelInit& init) {
  return MakeKernel<OptionalHasElementKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeOptionalGetElement(const KernelInit& init) {
  return MakeKernel<OptionalGetElementKernel>(init);
}

}  // namespace kiln::cpu
