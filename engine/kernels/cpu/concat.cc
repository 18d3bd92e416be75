// Concat: joins tensors along one axis (default 1 before opset 4).
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 1)) {}

  Status Compute(KernelContext& ctx) const override {
    const int n = ctx.num_inputs();
    if (n == 0) return ShapeError("Concat needs at least one input");
    for (int i = 0; i < n; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& first = ctx.input(0);
    const int64_t rank = first.rank();
    if (rank == 0) return ShapeError("cannot concatenate scalars");
    KILN_ASSIGN_OR_RETURN(const int64_t axis64, NormalizeAxis(axis_, rank));
    const size_t axis = static_cast<size_t>(axis64);
    Shape out_shape = first.shape();
    out_shape[axis] = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx.input(i);
      if (t.dtype() != first.dtype()) return ShapeError("inputs have different data types");
      if (t.rank() != rank) return ShapeError("inputs have different ranks");
      for (size_t d = 0; d < out_shape.size(); ++d) {
        if (d != axis && t.shape()[d] != first.shape()[d]) {
          return ShapeError("input " + std::to_string(i) + " has shape " + ShapeToString(t.shape()) +
                            ", incompatible with " + ShapeToString(first.shape()) + " on axis " +
                            std::to_string(d));
        }
      }
      out_shape[axis] += t.shape()[axis];
    }
    const int64_t outer = SizeFromDim(out_shape, 0, axis);
    const int64_t inner = SizeFromDim(out_shape, axis + 1, out_shape.size());
    const int64_t out_block = out_shape[axis] * inner;
    Tensor& out = ctx.AllocateOutput(0, first.dtype(), out_shape);
    int64_t offset = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx.input(i);
      const int64_t block = t.shape()[axis] * inner;
      CopyStrided(t.dtype(), {outer, block}, t.raw_data(), {block, 1}, ElementAt(out, offset), {out_block, 1});
      offset += block;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConcat(const KernelInit& init) { return MakeKernel<ConcatKernel>(init); }

}  // namespace kiln::cpu
