// Pow: base ^ exponent elementwise with broadcasting; the exponent may have
// another numeric type than the base, and the result has the base's type.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "engine/kernels/cpu/binary_elementwise.h"
#include "engine/kernels/cpu/numeric_convert.h"

namespace kiln::cpu {
namespace {

using PowBaseTypes = TypeList<float, double, Float16, BFloat16, int32_t, int64_t>;

// Exact integer power with wraparound on overflow; a negative exponent
// truncates 1 / base^-e toward zero.
template <typename TB, typename TE>
TB IntegerPower(TB base, TE exponent) {
  if constexpr (std::is_signed_v<TE>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent % 2 == 0) ? 1 : -1;
      return 0;
    }
  }
  uint64_t b = static_cast<uint64_t>(base);
  uint64_t e = static_cast<uint64_t>(exponent);
  uint64_t r = 1;
  while (e != 0) {
    if (e & 1u) r *= b;
    b *= b;
    e >>= 1;
  }
  return static_cast<TB>(r);
}

template <typename TB, typename TE>
TB Power(TB base, TE exponent) {
  if constexpr (std::is_integral_v<TB> && std::is_integral_v<TE>) {
    return IntegerPower(base, exponent);
  } else {
    // The usual promotions pick float or double for the computation.
    const auto r = std::pow(static_cast<ComputeType<TB>>(base), static_cast<ComputeType<TE>>(exponent));
    return ConvertNumber<TB>(r);
  }
}

class PowKernel final : public OpKernel {
 public:
  explicit PowKernel(const KernelInit& init) : mode_(init) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor base = ctx.input(0);
    Tensor exponent = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(Shape out_shape, mode_.OutputShape(base, exponent));
    Tensor& out = ctx.AllocateOutput(0, base.dtype(), out_shape);
    return DispatchType<PowBaseTypes>(base.dtype(), [&](auto base_tag) {
      using TB = typename decltype(base_tag)::type;
      return DispatchType<AllNumericTypes>(exponent.dtype(), [&](auto exp_tag) {
        using TE = typename decltype(exp_tag)::type;
        BinaryBroadcastLoop<TB, TE, TB>(base, exponent, out, [](TB x, TE y) { return Power(x, y); });
      });
    });
  }

 private:
  BinaryBroadcastMode mode_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakePow(const KernelInit& init) { return MakeKernel<PowKernel>(init); }

}  // namespace kiln::cpu
