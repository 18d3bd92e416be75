// Gather (slices along an axis), GatherElements (elements along an axis, by
// an index tensor of the data's rank) and GatherND (slices addressed by index
// tuples, with leading batch dimensions). Negative indices count from the end.
#include <algorithm>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class GatherKernel final : public OpKernel {
 public:
  explicit GatherKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 0)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& data = ctx.input(0);
    const Tensor& indices_tensor = ctx.input(1);
    if (data.rank() == 0) return ShapeError("data must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, data.rank()));
    KILN_ASSIGN_OR_RETURN(const IndexView indices, IndexView::From(indices_tensor, "indices"));

    const Shape& dshape = data.shape();
    const auto axis_u = static_cast<size_t>(axis);
    const int64_t axis_dim = dshape[axis_u];
    std::vector<int64_t> wrapped(static_cast<size_t>(indices.size()));
    for (int64_t j = 0; j < indices.size(); ++j) {
      int64_t index = indices[j];
      if (!WrapIndex(index, axis_dim)) return IndexOutOfRange(indices[j], axis_dim);
      wrapped[static_cast<size_t>(j)] = index;
    }

    Shape out_shape(dshape.begin(), dshape.begin() + axis);
    out_shape.insert(out_shape.end(), indices_tensor.shape().begin(), indices_tensor.shape().end());
    out_shape.insert(out_shape.end(), dshape.begin() + axis + 1, dshape.end());
    Tensor& out = ctx.AllocateOutput(0, data.dtype(), out_shape);

    const int64_t outer = SizeFromDim(dshape, 0, axis_u);
    const int64_t inner = SizeFromDim(dshape, axis_u + 1, dshape.size());
    // One contiguous block of `inner` elements per (outer, index) pair; for
    // axis 0 (embedding lookups) that is one block copy per index.
    return CopySlicesAlongAxis(data, outer, axis_dim, inner, wrapped, out);
  }

 private:
  int64_t axis_;
};

class GatherElementsKernel final : public OpKernel {
 public:
  explicit GatherElementsKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 0)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> offsets, ElementOffsetsAlongAxis(data.shape(), indices, axis_));
    Tensor& out = ctx.AllocateOutput(0, data.dtype(), indices.shape());
    return DispatchByElementSize(data.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = data.data<T>();
      T* dst = out.data<T>();
      for (size_t i = 0; i < offsets.size(); ++i) dst[i] = src[offsets[i]];
    });
  }

 private:
  int64_t axis_;
};

class GatherNDKernel final : public OpKernel {
 public:
  explicit GatherNDKernel(const KernelInit& init) : batch_dims_(init.node.GetInt("batch_dims", 0)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& data = ctx.input(0);
    const Tensor& indices_tensor = ctx.input(1);
    const Shape& dshape = data.shape();
    const Shape& ishape = indices_tensor.shape();
    const int64_t b = batch_dims_;
    if (data.rank() < 1 || indices_tensor.rank() < 1) return ShapeError("data and indices must have rank >= 1");
    if (b < 0 || b >= std::min(data.rank(), indices_tensor.rank())) {
      return ShapeError("batch_dims " + std::to_string(b) + " must be smaller than the ranks of data and indices");
    }
    for (int64_t d = 0; d < b; ++d) {
      if (dshape[static_cast<size_t>(d)] != ishape[static_cast<size_t>(d)]) {
        return ShapeError("batch dimensions of data " + ShapeToString(dshape) + " and indices " +
                          ShapeToString(ishape) + " differ");
      }
    }
    const int64_t k = ishape.back();
    if (k < 1 || k > data.rank() - b) {
      return ShapeError("last indices dimension " + std::to_string(k) + " must be in [1, " +
                        std::to_string(data.rank() - b) + "]");
    }
    KILN_ASSIGN_OR_RETURN(const IndexView indices, IndexView::From(indices_tensor, "indices"));

    const auto bu = static_cast<size_t>(b), ku = static_cast<size_t>(k);
    Shape out_shape(ishape.begin(), ishape.end() - 1);
    out_shape.insert(out_shape.end(), dshape.begin() + b + k, dshape.end());

    const int64_t slice = SizeFromDim(dshape, bu + ku, dshape.size());
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> offsets, IndexTupleOffsets(dshape, ishape, indices, bu));

    Tensor& out = ctx.AllocateOutput(0, data.dtype(), out_shape);
    return DispatchByElementSize(data.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = data.data<T>();
      T* dst = out.data<T>();
      for (int64_t offset : offsets) {
        std::copy_n(src + offset, slice, dst);
        dst += slice;
      }
    });
  }

 private:
  int64_t batch_dims_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeGather(const KernelInit& init) { return MakeKernel<GatherKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeGatherElements(const KernelInit& init) {
  return MakeKernel<GatherElementsKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeGatherND(const KernelInit& init) { return MakeKernel<GatherNDKernel>(init); }

}  // namespace kiln::cpu
