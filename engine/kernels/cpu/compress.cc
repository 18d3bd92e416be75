// Compress: keeps the slices along `axis` (or the elements of the flattened
// input when there is no axis) whose entry in the boolean condition is true.
#include <optional>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class CompressKernel final : public OpKernel {
 public:
  explicit CompressKernel(const KernelInit& init) {
    if (init.node.HasAttribute("axis")) axis_ = init.node.GetInt("axis", 0);
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& input = ctx.input(0);
    const Tensor& condition = ctx.input(1);
    if (condition.dtype() != DataType::kBool) return Status::InvalidArgument("condition must be bool");
    if (condition.rank() != 1) return ShapeError("condition must be 1-D, got " + ShapeToString(condition.shape()));

    int64_t outer = 1, axis_dim = input.num_elements(), inner = 1;
    Shape out_shape;
    size_t axis = 0;
    if (axis_) {
      KILN_ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(*axis_, input.rank()));
      if (input.rank() == 0) return ShapeError("input must have rank >= 1 when axis is given");
      axis = static_cast<size_t>(a);
      outer = SizeFromDim(input.shape(), 0, axis);
      axis_dim = input.shape()[axis];
      inner = SizeFromDim(input.shape(), axis + 1, input.shape().size());
      out_shape = input.shape();
    }
    // Slices past the end of condition are dropped; entries past the last
    // slice must be false (as in numpy.compress).
    const bool* keep = condition.data<bool>();
    std::vector<int64_t> selected;
    for (int64_t i = 0; i < condition.num_elements(); ++i) {
      if (!keep[i]) continue;
      if (i >= axis_dim) return IndexOutOfRange(i, axis_dim, "selected slice");
      selected.push_back(i);
    }
    const auto count = static_cast<int64_t>(selected.size());
    if (axis_) {
      out_shape[axis] = count;
    } else {
      out_shape = {count};
    }

    Tensor& out = ctx.AllocateOutput(0, input.dtype(), out_shape);
    return CopySlicesAlongAxis(input, outer, axis_dim, inner, selected, out);
  }

 private:
  std::optional<int64_t> axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeCompress(const KernelInit& init) { return MakeKernel<CompressKernel>(init); }

}  // namespace kiln::cpu
