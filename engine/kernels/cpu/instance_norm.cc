// InstanceNormalization: normalises each (batch, channel) slice of an N x C x D1 ...
// input over its spatial dims, then applies the per-channel scale and B.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class InstanceNormKernel final : public OpKernel {
 public:
  explicit InstanceNormKernel(const KernelInit& init) : epsilon_(init.node.GetFloat("epsilon", 1e-5f)) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor& bias = ctx.input(2);
    if (x.rank() < 2) return Status::InvalidArgument("input must have rank >= 2, got " + ShapeToString(x.shape()));
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t spatial = SizeFromDim(x.shape(), 2, x.shape().size());
    if (scale.num_elements() != c || bias.num_elements() != c) {
      return Status::InvalidArgument("scale " + ShapeToString(scale.shape()) + " and B " + ShapeToString(bias.shape()) +
                                     " must have " + std::to_string(c) + " elements");
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());
    const double eps = epsilon_;
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      for (int64_t i = 0; i < n * c; ++i) {
        const T* xs = x.data<T>() + i * spatial;
        T* ys = y.data<T>() + i * spatial;
        double sum = 0;
        for (int64_t s = 0; s < spatial; ++s) sum += static_cast<double>(static_cast<C>(xs[s]));
        const double mean = sum / static_cast<double>(spatial);
        double sq = 0;
        for (int64_t s = 0; s < spatial; ++s) {
          const double d = static_cast<double>(static_cast<C>(xs[s])) - mean;
          sq += d * d;
        }
        const int64_t ch = i % c;
        const double a = scale.GetDouble(ch) / std::sqrt(sq / static_cast<double>(spatial) + eps);
        const double b = bias.GetDouble(ch) - mean * a;
        const C ac = static_cast<C>(a), bc = static_cast<C>(b);
        for (int64_t s = 0; s < spatial; ++s) ys[s] = static_cast<T>(static_cast<C>(xs[s]) * ac + bc);
      }
    });
  }

 private:
  float epsilon_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeInstanceNormalization(const KernelInit& init) {
  return MakeKernel<InstanceNormKernel>(init);
}

}  // namespace kiln::cpu
