// Gelu (domain "kiln", made by the gelu_fusion pass): y = x * Phi(x), exactly
// (approximate="none": 0.5 x (1 + erf(x / sqrt 2))) or with the tanh
// approximation (approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))).
// float runs through the vectorized loops of vector_math.h, split over the
// session's threads when large; the other float types compute in float/double.
#include <cmath>

#include "engine/kernels/cpu/elementwise_chunks.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/vector_math.h"

namespace kiln::cpu {
namespace {

class GeluKernel final : public OpKernel {
 public:
  explicit GeluKernel(bool tanh_approximation) : tanh_(tanh_approximation) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());
    const int64_t n = x.num_elements();
    if (x.dtype() == DataType::kFloat) {
      const float* xp = x.data<float>();
      float* yp = y.data<float>();
      const bool tanh = tanh_;
      ForEachElementChunk(ctx.thread_pool(), n,
                          [&](int64_t begin, int64_t end) { vec::Gelu(xp + begin, yp + begin, end - begin, tanh); });
      return Status::Ok();
    }
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        const C v = static_cast<C>(xp[i]);
        C phi;
        if (tanh_) {
          const C u = C(0.79788456080286535588) * (v + C(0.044715) * v * v * v);
          phi = C(0.5) * (C(1) + std::tanh(u));
        } else {
          phi = C(0.5) * std::erfc(-v * C(0.70710678118654752440));
        }
        yp[i] = static_cast<T>(v * phi);
      }
    });
  }

 private:
  bool tanh_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeGelu(const KernelInit& init) {
  const std::string approximate = init.node.GetString("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    return Status::InvalidArgument("Gelu approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  }
  return std::unique_ptr<OpKernel>(new GeluKernel(approximate == "tanh"));
}

}  // namespace kiln::cpu
