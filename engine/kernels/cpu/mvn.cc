// MeanVarianceNormalization: y = (x - mean) / (std + 1e-9), with mean and standard
// deviation taken over `axes` (default N, H, W).
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/reduce_axes.h"

namespace kiln::cpu {
namespace {

class MvnKernel final : public OpKernel {
 public:
  explicit MvnKernel(const KernelInit& init) : axes_(init.node.GetInts("axes", {0, 2, 3})) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    KILN_ASSIGN_OR_RETURN(std::vector<bool> reduced, ReducedAxesMask(axes_, x.rank()));
    const ReductionLayout layout = MakeReductionLayout(x.shape(), reduced);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const double count = static_cast<double>(layout.reduced_count);
      for (int64_t base : layout.output_offsets) {
        const T* xb = x.data<T>() + base;
        T* yb = y.data<T>() + base;
        double sum = 0;
        ForEachReducedOffset(layout, [&](int64_t r) { sum += static_cast<double>(static_cast<C>(xb[r])); });
        const double mean = sum / count;
        double sq = 0;
        ForEachReducedOffset(layout, [&](int64_t r) {
          const double d = static_cast<double>(static_cast<C>(xb[r])) - mean;
          sq += d * d;
        });
        const double inv = 1.0 / (std::sqrt(sq / count) + 1e-9);
        ForEachReducedOffset(layout, [&](int64_t r) {
          yb[r] = static_cast<T>(static_cast<C>((static_cast<double>(static_cast<C>(xb[r])) - mean) * inv));
        });
      }
    });
  }

 private:
  std::vector<int64_t> axes_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMeanVarianceNormalization(const KernelInit& init) {
  return MakeKernel<MvnKernel>(init);
}

}  // namespace kiln::cpu
