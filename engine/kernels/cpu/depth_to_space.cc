// DepthToSpace: moves blocks of channels into spatial blocks (DCR or CRD
// channel order); SpaceToDepth: the inverse, spatial blocks into channels.
// Both are a reshape to 6-D, a transpose, and a reshape back to 4-D.
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class DepthToSpaceKernel final : public OpKernel {
 public:
  DepthToSpaceKernel(int64_t block, bool crd) : block_(block), crd_(crd) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    if (in.rank() != 4) return ShapeError("input must be 4-D, got " + ShapeToString(in.shape()));
    const int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3), b = block_;
    if (c % (b * b) != 0) {
      return ShapeError("channels " + std::to_string(c) + " are not a multiple of blocksize^2");
    }
    const int64_t oc = c / (b * b);
    // DCR: [n, b, b, oc, h, w] -> [n, oc, h, b, w, b]; CRD: [n, oc, b, b, h, w] -> same.
    const Tensor view = crd_ ? in.Reshape({n, oc, b, b, h, w}) : in.Reshape({n, b, b, oc, h, w});
    const std::vector<int64_t> perm = crd_ ? std::vector<int64_t>{0, 1, 4, 2, 5, 3}
                                           : std::vector<int64_t>{0, 3, 4, 1, 5, 2};
    ctx.SetOutput(0, Value(TransposeTensor(view, perm).Reshape({n, oc, h * b, w * b})));
    return Status::Ok();
  }

 private:
  int64_t block_;
  bool crd_;
};

class SpaceToDepthKernel final : public OpKernel {
 public:
  explicit SpaceToDepthKernel(int64_t block) : block_(block) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    if (in.rank() != 4) return ShapeError("input must be 4-D, got " + ShapeToString(in.shape()));
    const int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3), b = block_;
    if (h % b != 0 || w % b != 0) {
      return ShapeError("spatial size " + ShapeToString(in.shape()) + " is not a multiple of the blocksize");
    }
    const Tensor view = in.Reshape({n, c, h / b, b, w / b, b});
    ctx.SetOutput(0, Value(TransposeTensor(view, {0, 3, 5, 1, 2, 4}).Reshape({n, c * b * b, h / b, w / b})));
    return Status::Ok();
  }

 private:
  int64_t block_;
};

Result<int64_t> BlockSize(const KernelInit& init) {
  const int64_t block = init.node.GetInt("blocksize", 0);
  if (block <= 0) return Status::InvalidArgument("blocksize must be a positive integer");
  return block;
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeDepthToSpace(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(const int64_t block, BlockSize(init));
  const std::string mode = init.node.GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return Status::InvalidArgument("unknown DepthToSpace mode '" + mode + "'");
  return std::unique_ptr<OpKernel>(new DepthToSpaceKernel(block, mode == "CRD"));
}

Result<std::unique_ptr<OpKernel>> MakeSpaceToDepth(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(const int64_t block, BlockSize(init));
  return std::unique_ptr<OpKernel>(new SpaceToDepthKernel(block));
}

}  // namespace kiln::cpu
