// Identity: passes its input through (tensor, sequence or optional) without copying.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class IdentityKernel final : public OpKernel {
 public:
  explicit IdentityKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    ctx.SetOutput(0, ctx.input_value(0));
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeIdentity(const KernelInit& init) { return MakeKernel<IdentityKernel>(init); }

}  // namespace kiln::cpu
