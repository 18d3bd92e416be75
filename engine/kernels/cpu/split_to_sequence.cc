// SplitToSequence: splits a tensor along an axis into a sequence of tensors,
// by explicit lengths, by a chunk size, or into size-1 slices (optionally
// with the split axis removed when keepdims is 0).
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/tensor_slices.h"

namespace kiln::cpu {
namespace {

class SplitToSequenceKernel final : public OpKernel {
 public:
  explicit SplitToSequenceKernel(const KernelInit& init)
      : axis_(init.node.GetInt("axis", 0)), keepdims_(init.node.GetInt("keepdims", 1) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    if (input.rank() == 0) return Status::InvalidArgument("cannot split a scalar");
    KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, input.rank()));
    const int64_t dim = input.dim(static_cast<int>(axis));

    std::vector<int64_t> lengths;
    bool squeeze = false;
    if (!ctx.has_input(1)) {
      lengths.assign(static_cast<size_t>(dim), 1);
      squeeze = !keepdims_;
    } else {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      const Tensor& split = ctx.input(1);
      if (split.dtype() != DataType::kInt32 && split.dtype() != DataType::kInt64) {
        return Status::InvalidArgument("split must be an int32 or int64 tensor");
      }
      if (split.rank() == 0) {
        const int64_t chunk = split.GetInt(0);
        if (chunk <= 0) return Status::InvalidArgument("split size must be positive, got " + std::to_string(chunk));
        for (int64_t start = 0; start < dim; start += chunk) lengths.push_back(std::min(chunk, dim - start));
      } else if (split.rank() == 1) {
        lengths = split.ToInt64Vector();
        int64_t total = 0;
        for (int64_t len : lengths) {
          if (len < 0) return Status::InvalidArgument("split lengths must be non-negative");
          // Checked against what is left, so that huge lengths cannot wrap the sum.
          if (len > dim - total) {
            return Status::InvalidArgument("split lengths " + ShapeToString(lengths) + " exceed the axis size " +
                                           std::to_string(dim));
          }
          total += len;
        }
        if (total != dim) {
          return Status::InvalidArgument("split lengths sum to " + std::to_string(total) + " but the axis has size " +
                                         std::to_string(dim));
        }
      } else {
        return Status::InvalidArgument("split must be a scalar or a 1-D tensor");
      }
    }

    Sequence out;
    out.elem_type = input.dtype();
    out.items.reserve(lengths.size());
    Shape part_shape = input.shape();
    Shape squeezed_shape = input.shape();
    squeezed_shape.erase(squeezed_shape.begin() + axis);
    int64_t start = 0;
    for (int64_t len : lengths) {
      part_shape[static_cast<size_t>(axis)] = len;
      Tensor part = Tensor::Allocate(input.dtype(), part_shape);
      CopyAlongAxis(input, start, part, 0, axis, len);
      out.items.push_back(squeeze ? part.Reshape(squeezed_shape) : std::move(part));
      start += len;
    }
    ctx.SetOutput(0, Value(std::move(out)));
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool keepdims_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSplitToSequence(const KernelInit& init) {
  return MakeKernel<SplitToSequenceKernel>(init);
}

}  // namespace kiln::cpu
