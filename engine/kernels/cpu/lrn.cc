// LRN: local response normalisation across channels,
// y = x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels) ^ beta.
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class LrnKernel final : public OpKernel {
 public:
  LrnKernel(float alpha, float beta, float bias, int64_t size) : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.rank() < 2) return Status::InvalidArgument("input must have rank >= 2, got " + ShapeToString(x.shape()));
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t spatial = SizeFromDim(x.shape(), 2, x.shape().size());
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const double scale = static_cast<double>(alpha_) / static_cast<double>(size_);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<double> square_sum(static_cast<size_t>(spatial));
      for (int64_t i = 0; i < n; ++i) {
        const T* xb = x.data<T>() + i * c * spatial;
        T* yb = y.data<T>() + i * c * spatial;
        for (int64_t ch = 0; ch < c; ++ch) {
          std::fill(square_sum.begin(), square_sum.end(), 0.0);
          const int64_t lo = std::max<int64_t>(0, ch - before), hi = std::min<int64_t>(c - 1, ch + after);
          for (int64_t k = lo; k <= hi; ++k) {
            const T* xk = xb + k * spatial;
            for (int64_t s = 0; s < spatial; ++s) {
              const double v = static_cast<double>(static_cast<ComputeType<T>>(xk[s]));
              square_sum[static_cast<size_t>(s)] += v * v;
            }
          }
          const T* xc = xb + ch * spatial;
          T* yc = yb + ch * spatial;
          for (int64_t s = 0; s < spatial; ++s) {
            const double denom =
                std::pow(bias_ + scale * square_sum[static_cast<size_t>(s)], static_cast<double>(beta_));
            yc[s] = static_cast<T>(
                static_cast<ComputeType<T>>(static_cast<double>(static_cast<ComputeType<T>>(xc[s])) / denom));
          }
        }
      }
    });
  }

 private:
  float alpha_, beta_, bias_;
  int64_t size_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeLRN(const KernelInit& init) {
  if (!init.node.HasAttribute("size")) return Status::InvalidArgument("attribute 'size' is required");
  const int64_t size = init.node.GetInt("size", 1);
  if (size < 1) return Status::InvalidArgument("size must be positive, got " + std::to_string(size));
  return std::unique_ptr<OpKernel>(new LrnKernel(init.node.GetFloat("alpha", 1e-4f), init.node.GetFloat("beta", 0.75f),
                                                 init.node.GetFloat("bias", 1.0f), size));
}

}  // namespace kiln::cpu
