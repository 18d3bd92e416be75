// NonZero: the coordinates of the non-zero elements, as an int64 tensor of
// shape [rank, count] in row-major order (a scalar is treated as 1-D).
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class NonZeroKernel final : public OpKernel {
 public:
  explicit NonZeroKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    Shape shape = input.shape();
    if (shape.empty()) shape = {1};
    const auto rank = static_cast<int64_t>(shape.size());
    std::vector<int64_t> positions;
    KILN_RETURN_IF_ERROR(DispatchType<NumericAndBoolTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = input.data<T>();
      for (int64_t i = 0; i < input.num_elements(); ++i) {
        if (static_cast<ComputeType<T>>(p[i]) != ComputeType<T>(0)) positions.push_back(i);
      }
    }));
    const auto count = static_cast<int64_t>(positions.size());
    Tensor& out = ctx.AllocateOutput(0, DataType::kInt64, {rank, count});
    int64_t* dst = out.data<int64_t>();
    for (int64_t j = 0; j < count; ++j) {
      int64_t rest = positions[static_cast<size_t>(j)];
      for (int64_t d = rank - 1; d >= 0; --d) {
        const int64_t dim = shape[static_cast<size_t>(d)];
        dst[d * count + j] = rest % dim;
        rest /= dim;
      }
    }
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeNonZero(const KernelInit& init) { return MakeKernel<NonZeroKernel>(init); }

}  // namespace kiln::cpu
