// Trilu: keeps the upper (upper=1) or lower (upper=0) triangle of the last two
// dimensions, relative to the k-th diagonal (optional input k), zeroing the rest.
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class TriluKernel final : public OpKernel {
 public:
  explicit TriluKernel(const KernelInit& init) : upper_(init.node.GetInt("upper", 1) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    if (input.rank() < 2) return ShapeError("input must have rank >= 2, got " + ShapeToString(input.shape()));
    int64_t k = 0;
    if (ctx.has_input(1)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      if (ctx.input(1).num_elements() != 1) return ShapeError("k must hold exactly one value");
      k = ctx.input(1).GetInt(0);
    }
    const int64_t rows = input.dim(input.rank() - 2), cols = input.dim(input.rank() - 1);
    k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // beyond this range k changes nothing
    const int64_t matrices = rows * cols == 0 ? 0 : input.num_elements() / (rows * cols);
    Tensor& out = ctx.AllocateOutput(0, input.dtype(), input.shape());
    const bool upper = upper_;
    return DispatchType<AllTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = input.data<T>();
      T* dst = out.data<T>();
      for (int64_t m = 0; m < matrices; ++m) {
        for (int64_t r = 0; r < rows; ++r) {
          // Columns [keep_begin, keep_end) of row r are kept: col - r >= k for
          // the upper triangle, col - r <= k for the lower one.
          const int64_t keep_begin = upper ? std::clamp<int64_t>(r + k, 0, cols) : 0;
          const int64_t keep_end = upper ? cols : std::clamp<int64_t>(r + k + 1, 0, cols);
          const T* s = src + (m * rows + r) * cols;
          T* d = dst + (m * rows + r) * cols;
          std::fill(d, d + keep_begin, T{});
          if (keep_end > keep_begin) std::copy(s + keep_begin, s + keep_end, d + keep_begin);
          std::fill(d + keep_end, d + cols, T{});
        }
      }
    });
  }

 private:
  bool upper_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeTrilu(const KernelInit& init) { return MakeKernel<TriluKernel>(init); }

}  // namespace kiln::cpu
