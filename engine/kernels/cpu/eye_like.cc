// EyeLike: a 2-D tensor shaped like the input with ones on the k-th diagonal
// and zeros elsewhere; the element type is the dtype attribute or the input's.
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class EyeLikeKernel final : public OpKernel {
 public:
  EyeLikeKernel(DataType dtype, int64_t k) : dtype_(dtype), k_(k) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    if (input.rank() != 2) return ShapeError("input must be 2-D, got shape " + ShapeToString(input.shape()));
    const DataType dtype = dtype_ == DataType::kUndefined ? input.dtype() : dtype_;
    const int64_t rows = input.dim(0), cols = input.dim(1);
    Tensor& out = ctx.AllocateOutput(0, dtype, input.shape());
    return DispatchType<NumericAndBoolTypes>(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* p = out.data<T>();
      std::fill_n(p, rows * cols, T(0));
      const int64_t k = std::clamp<int64_t>(k_, -rows, cols);  // beyond this range the diagonal is empty
      const int64_t first_row = std::max<int64_t>(0, -k);
      const int64_t last_row = std::min<int64_t>(rows, cols - k);  // exclusive
      for (int64_t r = first_row; r < last_row; ++r) p[r * cols + r + k] = T(1);
    });
  }

 private:
  DataType dtype_;  // kUndefined: same as the input
  int64_t k_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeEyeLike(const KernelInit& init) {
  DataType dtype = DataType::kUndefined;
  if (init.node.HasAttribute("dtype")) {
    const int64_t code = init.node.GetInt("dtype", 0);
    if (!IsKnownDataType(static_cast<int32_t>(code)) || code == static_cast<int64_t>(DataType::kString)) {
      return Status::InvalidArgument("unsupported dtype " + std::to_string(code));
    }
    dtype = static_cast<DataType>(code);
  }
  return std::unique_ptr<OpKernel>(new EyeLikeKernel(dtype, init.node.GetInt("k", 0)));
}

}  // namespace kiln::cpu
