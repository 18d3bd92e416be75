// OneHot: expands indices into a one-hot tensor with a new dimension of size
// `depth` at `axis`, filled with values[1] at each index and values[0] elsewhere.
#include <algorithm>
#include <cmath>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class OneHotKernel final : public OpKernel {
 public:
  explicit OneHotKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", -1)) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& indices = ctx.input(0);
    const Tensor& depth_tensor = ctx.input(1);
    const Tensor& values = ctx.input(2);
    if (depth_tensor.num_elements() != 1) return ShapeError("depth must hold exactly one value");
    if (values.num_elements() != 2) return ShapeError("values must hold [off_value, on_value]");
    if (indices.dtype() == DataType::kString || depth_tensor.dtype() == DataType::kString) {
      return Status::InvalidArgument("indices and depth must be numeric");
    }
    const double depth_value = depth_tensor.GetDouble(0);
    if (!(depth_value >= 0)) return Status::InvalidArgument("depth must be non-negative");
    const auto depth = static_cast<int64_t>(depth_value);
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, indices.rank() + 1));

    const Shape& ishape = indices.shape();
    Shape out_shape(ishape.begin(), ishape.begin() + axis);
    out_shape.push_back(depth);
    out_shape.insert(out_shape.end(), ishape.begin() + axis, ishape.end());
    const int64_t outer = SizeFromDim(ishape, 0, static_cast<size_t>(axis));
    const int64_t inner = SizeFromDim(ishape, static_cast<size_t>(axis), ishape.size());

    Tensor& out = ctx.AllocateOutput(0, values.dtype(), out_shape);
    return DispatchByElementSize(values.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T& off = values.data<T>()[0];
      const T& on = values.data<T>()[1];
      T* dst = out.data<T>();
      std::fill_n(dst, out.num_elements(), off);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          int64_t index = static_cast<int64_t>(indices.GetDouble(o * inner + i));
          // Out-of-range indices leave their row all off_value, as the spec says.
          if (WrapIndex(index, depth)) dst[(o * depth + index) * inner + i] = on;
        }
      }
    });
  }

 private:
  int64_t axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeOneHot(const KernelInit& init) { return MakeKernel<OneHotKernel>(init); }

}  // namespace kiln::cpu
