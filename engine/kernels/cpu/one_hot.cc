// OneHot: expands indices into a one-hot tensor with a new dimension of size
// `depth` at `axis`, filled with values[1] at each index and values[0] elsewhere.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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
    if (depth_tensor.dtype() == DataType::kString) return Status::InvalidArgument("depth must be numeric");
    const double depth_value = depth_tensor.GetDouble(0);
    if (!(depth_value >= 0 && depth_value < 9e18)) {
      return Status::InvalidArgument("depth " + std::to_string(depth_value) + " is not a valid dimension");
    }
    const auto depth = static_cast<int64_t>(depth_value);
    if (indices.num_elements() > 0 && depth > std::numeric_limits<int64_t>::max() / indices.num_elements()) {
      return Status::InvalidArgument("depth " + std::to_string(depth) + " makes the output too large");
    }
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, indices.rank() + 1));

    const Shape& ishape = indices.shape();
    Shape out_shape(ishape.begin(), ishape.begin() + axis);
    out_shape.push_back(depth);
    out_shape.insert(out_shape.end(), ishape.begin() + axis, ishape.end());
    const int64_t outer = SizeFromDim(ishape, 0, static_cast<size_t>(axis));
    const int64_t inner = SizeFromDim(ishape, static_cast<size_t>(axis), ishape.size());

    // Positions along the new axis; -1 marks an index outside [-depth, depth).
    std::vector<int64_t> positions(static_cast<size_t>(indices.num_elements()));
    KILN_RETURN_IF_ERROR(DispatchType<AllNumericTypes>(indices.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = indices.data<T>();
      for (size_t i = 0; i < positions.size(); ++i) {
        const double v = static_cast<double>(static_cast<ComputeType<T>>(p[i]));
        int64_t index = std::isfinite(v) && std::abs(v) < 9e18 ? static_cast<int64_t>(v) : depth;
        positions[i] = WrapIndex(index, depth) ? index : -1;
      }
    }));

    Tensor& out = ctx.AllocateOutput(0, values.dtype(), out_shape);
    return DispatchByElementSize(values.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T& off = values.data<T>()[0];
      const T& on = values.data<T>()[1];
      T* dst = out.data<T>();
      std::fill_n(dst, out.num_elements(), off);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          // Out-of-range indices leave their row all off_value, as the spec says.
          const int64_t index = positions[static_cast<size_t>(o * inner + i)];
          if (index >= 0) dst[(o * depth + index) * inner + i] = on;
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
