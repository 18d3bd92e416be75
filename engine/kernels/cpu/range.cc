// Range: the sequence start, start + delta, ... up to (excluding) limit.
#include <cmath>
#include <limits>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"

namespace kiln::cpu {
namespace {

using RangeTypes = TypeList<float, double, int16_t, int32_t, int64_t>;

class RangeKernel final : public OpKernel {
 public:
  explicit RangeKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      if (ctx.input(i).num_elements() != 1) return ShapeError("start, limit and delta must be scalars");
      if (ctx.input(i).dtype() != ctx.input(0).dtype()) return ShapeError("inputs have different data types");
    }
    return DispatchType<RangeTypes>(ctx.input(0).dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T start = ctx.input(0).data<T>()[0];
      const T limit = ctx.input(1).data<T>()[0];
      const T delta = ctx.input(2).data<T>()[0];
      if (delta == T{0}) return ShapeError("delta must not be 0");
      int64_t count;
      if constexpr (std::is_integral_v<T>) {
        // 128-bit: limit - start overflows int64 for extreme values.
        const __int128 span = static_cast<__int128>(limit) - static_cast<__int128>(start);
        const __int128 step = delta;
        const __int128 steps = span / step + ((span % step != 0) && ((span > 0) == (step > 0)) ? 1 : 0);
        count = static_cast<int64_t>(std::min<__int128>(steps, std::numeric_limits<int64_t>::max()));
      } else {
        const double steps = std::ceil((static_cast<double>(limit) - start) / delta);
        if (!std::isfinite(steps) || steps > static_cast<double>(std::numeric_limits<int64_t>::max())) {
          return ShapeError("start, limit and delta do not give a finite range");
        }
        count = static_cast<int64_t>(steps);
      }
      count = std::max<int64_t>(count, 0);
      KILN_RETURN_IF_ERROR(CheckOutputShape({count}, kDataTypeOf<T>, "range length"));
      T* out = ctx.AllocateOutput(0, kDataTypeOf<T>, {count}).template data<T>();
      if constexpr (std::is_integral_v<T>) {
        // Every element lies between start and limit, so wrapping unsigned
        // arithmetic gives it exactly without signed overflow.
        const auto first = static_cast<uint64_t>(static_cast<int64_t>(start));
        const auto step = static_cast<uint64_t>(static_cast<int64_t>(delta));
        for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(first + static_cast<uint64_t>(i) * step);
      } else {
        for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
      return Status::Ok();
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeRange(const KernelInit& init) { return MakeKernel<RangeKernel>(init); }

}  // namespace kiln::cpu
