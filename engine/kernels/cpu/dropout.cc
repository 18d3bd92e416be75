// Dropout: identity at inference (mask all true, or ones before opset 10;
// opsets before 12 always run as inference). In training mode
// (opset 12+ training_mode input) zeroes elements with probability `ratio`
// and scales the rest by 1 / (1 - ratio).
#include <algorithm>
#include <optional>
#include <random>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class DropoutKernel final : public OpKernel {
 public:
  explicit DropoutKernel(const KernelInit& init)
      : inputs_control_training_(init.opset >= 12),
        bool_mask_(init.opset >= 10),
        ratio_(init.node.GetFloat("ratio", 0.5f)) {
    if (init.node.HasAttribute("seed")) seed_ = static_cast<uint64_t>(init.node.GetInt("seed", 0));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    double ratio = ratio_;
    bool training = false;
    if (inputs_control_training_) {
      if (ctx.has_input(1)) {
        if (ctx.input(1).num_elements() != 1) return ShapeError("ratio must be a scalar");
        ratio = ctx.input(1).GetDouble(0);
      }
      if (ctx.has_input(2)) {
        if (ctx.input(2).num_elements() != 1) return ShapeError("training_mode must be a scalar");
        training = ctx.input(2).GetInt(0) != 0;
      }
    }
    if (!training || ratio == 0.0) {
      ctx.SetOutput(0, Value(in));
      if (ctx.wants_output(1)) {
        const DataType mask_type = bool_mask_ ? DataType::kBool : in.dtype();
        Tensor& mask = ctx.AllocateOutput(1, mask_type, in.shape());
        return DispatchType<NumericAndBoolTypes>(mask_type, [&](auto tag) {
          using T = typename decltype(tag)::type;
          std::fill_n(mask.data<T>(), mask.num_elements(), static_cast<T>(1.0f));
        });
      }
      return Status::Ok();
    }
    if (ratio < 0.0 || ratio >= 1.0) return ShapeError("ratio must be in [0, 1), got " + std::to_string(ratio));
    Tensor& out = ctx.AllocateOutput(0, in.dtype(), in.shape());
    Tensor mask = Tensor::Allocate(DataType::kBool, in.shape());
    std::mt19937_64 rng(seed_ ? *seed_ : std::random_device{}());
    std::bernoulli_distribution keep(1.0 - ratio);
    bool* m = mask.data<bool>();
    for (int64_t i = 0; i < in.num_elements(); ++i) m[i] = keep(rng);
    if (ctx.wants_output(1)) ctx.SetOutput(1, Value(mask));
    return DispatchType<FloatTypes>(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const C scale = static_cast<C>(1.0 / (1.0 - ratio));
      const T* x = in.data<T>();
      T* y = out.data<T>();
      for (int64_t i = 0; i < in.num_elements(); ++i) y[i] = static_cast<T>(m[i] ? static_cast<C>(x[i]) * scale : C{0});
    });
  }

 private:
  bool inputs_control_training_;
  bool bool_mask_;
  float ratio_;
  std::optional<uint64_t> seed_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeDropout(const KernelInit& init) { return MakeKernel<DropoutKernel>(init); }

}  // namespace kiln::cpu
