// Tile: repeats a tensor along each axis (`repeats` input; before opset 6,
// inputs `tiles` and `axis` repeat along one axis).
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class TileKernel final : public OpKernel {
 public:
  explicit TileKernel(const KernelInit& init) : single_axis_(init.opset < 6) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& in = ctx.input(0);
    const Shape& s = in.shape();
    std::vector<int64_t> repeats;
    if (single_axis_) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(2));
      if (ctx.input(1).num_elements() != 1 || ctx.input(2).num_elements() != 1) {
        return ShapeError("tiles and axis must be scalars");
      }
      if (s.empty()) return ShapeError("cannot tile a scalar along an axis");
      KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(ctx.input(2).GetInt(0), in.rank()));
      repeats.assign(s.size(), 1);
      repeats[static_cast<size_t>(axis)] = ctx.input(1).GetInt(0);
    } else {
      repeats = ctx.input(1).ToInt64Vector();
    }
    if (repeats.size() != s.size()) {
      return ShapeError("repeats has " + std::to_string(repeats.size()) + " entries for an input of rank " +
                        std::to_string(s.size()));
    }
    // View the output as [r0, d0, r1, d1, ...], reading the input with stride 0 along each r.
    const std::vector<int64_t> in_strides = ContiguousStrides(s);
    Shape out_shape(s.size()), view_shape, view_strides;
    for (size_t d = 0; d < s.size(); ++d) {
      if (repeats[d] < 0) return ShapeError("repeats must not be negative");
      KILN_ASSIGN_OR_RETURN(out_shape[d], CheckedSizeProduct(s[d], repeats[d], "tiled dimension"));
      view_shape.insert(view_shape.end(), {repeats[d], s[d]});
      view_strides.insert(view_strides.end(), {0, in_strides[d]});
    }
    KILN_RETURN_IF_ERROR(CheckOutputShape(out_shape, in.dtype(), "tiled shape"));
    Tensor& out = ctx.AllocateOutput(0, in.dtype(), std::move(out_shape));
    if (out.num_elements() == 0) return Status::Ok();
    CopyStrided(in.dtype(), view_shape, in.raw_data(), view_strides, out.raw_data(), ContiguousStrides(view_shape));
    return Status::Ok();
  }

 private:
  bool single_axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeTile(const KernelInit& init) { return MakeKernel<TileKernel>(init); }

}  // namespace kiln::cpu
