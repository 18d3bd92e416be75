// ConcatFromSequence: concatenates the tensors of a sequence along an
// existing axis, or stacks them along a new axis when new_axis is 1.
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/tensor_slices.h"

namespace kiln::cpu {
namespace {

class ConcatFromSequenceKernel final : public OpKernel {
 public:
  ConcatFromSequenceKernel(int64_t axis, bool new_axis) : axis_(axis), new_axis_(new_axis) {}

  Status Compute(KernelContext& ctx) const override {
    const Value& v = ctx.input_value(0);
    if (!v.is_sequence()) return Status::InvalidArgument("input must be a sequence, got " + v.Describe());
    const std::vector<Tensor>& items = v.sequence().items;
    if (items.empty()) return Status::InvalidArgument("cannot concatenate an empty sequence");
    const Tensor& first = items.front();
    if (new_axis_) {
      KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, first.rank() + 1));
      KILN_ASSIGN_OR_RETURN(Tensor stacked, StackAlongNewAxis(items, axis));
      ctx.SetOutput(0, Value(std::move(stacked)));
      return Status::Ok();
    }
    if (first.rank() == 0) return Status::InvalidArgument("cannot concatenate scalars without new_axis");
    KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, first.rank()));
    const size_t ax = static_cast<size_t>(axis);
    Shape out_shape = first.shape();
    out_shape[ax] = 0;
    for (const Tensor& t : items) {
      bool compatible = t.dtype() == first.dtype() && t.rank() == first.rank();
      for (size_t d = 0; compatible && d < out_shape.size(); ++d) {
        compatible = d == ax || t.shape()[d] == first.shape()[d];
      }
      if (!compatible) {
        return Status::InvalidArgument("cannot concatenate " + std::string(DataTypeName(first.dtype())) +
                                       ShapeToString(first.shape()) + " and " + std::string(DataTypeName(t.dtype())) +
                                       ShapeToString(t.shape()) + " along axis " + std::to_string(axis));
      }
      out_shape[ax] += t.shape()[ax];
    }
    Tensor& out = ctx.AllocateOutput(0, first.dtype(), out_shape);
    int64_t offset = 0;
    for (const Tensor& t : items) {
      CopyAlongAxis(t, 0, out, offset, axis, t.shape()[ax]);
      offset += t.shape()[ax];
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool new_axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConcatFromSequence(const KernelInit& init) {
  if (!init.node.HasAttribute("axis")) return Status::InvalidArgument("ConcatFromSequence needs the axis attribute");
  return std::unique_ptr<OpKernel>(
      new ConcatFromSequenceKernel(init.node.GetInt("axis", 0), init.node.GetInt("new_axis", 0) != 0));
}

}  // namespace kiln::cpu
