// Slice: takes a strided window of a tensor along some axes. Starts, ends
// and axes are attributes before opset 10 and inputs (with steps) after;
// out-of-range bounds are clamped, negative steps walk backwards.
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class SliceKernel final : public OpKernel {
 public:
  explicit SliceKernel(const KernelInit& init)
      : from_attributes_(init.opset < 10),
        starts_(init.node.GetInts("starts")),
        ends_(init.node.GetInts("ends")),
        axes_(init.node.GetInts("axes")) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (!from_attributes_) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(2));
      starts = ctx.input(1).ToInt64Vector();
      ends = ctx.input(2).ToInt64Vector();
      axes = InputAsInt64s(ctx, 3);
      steps = InputAsInt64s(ctx, 4);
    }
    if (starts.size() != ends.size()) return ShapeError("starts and ends have different lengths");
    if (axes.empty()) {
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size()) {
      return ShapeError("starts, ends, axes and steps have different lengths");
    }
    const Shape& s = in.shape();
    const int64_t rank = in.rank();
    const std::vector<int64_t> in_strides = ContiguousStrides(s);
    Shape out_shape = s;
    std::vector<int64_t> src_strides = in_strides;
    std::vector<bool> seen(s.size(), false);
    int64_t offset = 0;
    for (size_t i = 0; i < axes.size(); ++i) {
      if (axes[i] < -rank || axes[i] >= rank) {
        return ShapeError("axis " + std::to_string(axes[i]) + " is out of range for rank " + std::to_string(rank));
      }
      const size_t axis = static_cast<size_t>(axes[i] < 0 ? axes[i] + rank : axes[i]);
      if (seen[axis]) return ShapeError("axis " + std::to_string(axes[i]) + " is repeated");
      seen[axis] = true;
      const int64_t dim = s[axis];
      if (steps[i] == 0) return ShapeError("slice step must not be 0");
      // A step longer than the axis takes at most one element; clamping it keeps the arithmetic in range.
      const int64_t max_step = std::max<int64_t>(dim, 1);
      const int64_t step = std::clamp<int64_t>(steps[i], -max_step, max_step);
      int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
      int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
      int64_t count;
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
        count = end > start ? (end - start + step - 1) / step : 0;
      } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
        count = start > end ? (start - end - step - 1) / -step : 0;
      }
      out_shape[axis] = count;
      src_strides[axis] = in_strides[axis] * step;
      if (count > 0) offset += start * in_strides[axis];
    }
    Tensor& out = ctx.AllocateOutput(0, in.dtype(), std::move(out_shape));
    GatherStrided(in, offset, src_strides, out);
    return Status::Ok();
  }

 private:
  bool from_attributes_;
  std::vector<int64_t> starts_, ends_, axes_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSlice(const KernelInit& init) { return MakeKernel<SliceKernel>(init); }

}  // namespace kiln::cpu
