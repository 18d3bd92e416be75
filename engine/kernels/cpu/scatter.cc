// ScatterElements (and its deprecated alias Scatter) writes updates into a
// copy of data at positions given by indices along an axis; ScatterND writes
// update slices at index tuples. Both optionally combine with add or mul.
#include <algorithm>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

enum class Reduction { kNone, kAdd, kMul };

Result<Reduction> ParseReduction(const KernelInit& init) {
  const std::string r = init.node.GetString("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  return Status::InvalidArgument("unsupported reduction '" + r + "'");
}

// Runs `body(TypeTag<T>{}, combine)` where combine(T& dst, T src) applies the reduction.
template <typename F>
Status DispatchScatter(DataType dtype, Reduction reduction, F&& body) {
  if (reduction == Reduction::kNone) {
    return DispatchByElementSize(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return body(tag, [](T& dst, const T& src) { dst = src; });
    });
  }
  return DispatchType<AllNumericTypes>(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    if (reduction == Reduction::kAdd) {
      return body(tag, [](T& dst, const T& src) { dst = static_cast<T>(static_cast<C>(dst) + static_cast<C>(src)); });
    }
    return body(tag, [](T& dst, const T& src) { dst = static_cast<T>(static_cast<C>(dst) * static_cast<C>(src)); });
  });
}

class ScatterElementsKernel final : public OpKernel {
 public:
  ScatterElementsKernel(const KernelInit& init, Reduction reduction)
      : axis_(init.node.GetInt("axis", 0)), reduction_(reduction) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& data = ctx.input(0);
    const Tensor& indices_tensor = ctx.input(1);
    const Tensor& updates = ctx.input(2);
    if (indices_tensor.shape() != updates.shape()) {
      return ShapeError("indices shape " + ShapeToString(indices_tensor.shape()) + " differs from updates shape " +
                        ShapeToString(updates.shape()));
    }
    if (updates.dtype() != data.dtype()) return Status::InvalidArgument("updates and data types differ");
    // Destination offset of every update, validated before anything is written.
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> targets,
                          ElementOffsetsAlongAxis(data.shape(), indices_tensor, axis_));
    Tensor& out = ctx.AllocateOutput(0, data.dtype(), data.shape());
    return DispatchScatter(data.dtype(), reduction_, [&](auto tag, auto combine) {
      using T = typename decltype(tag)::type;
      const T* src = data.data<T>();
      T* dst = out.data<T>();
      std::copy_n(src, data.num_elements(), dst);
      const T* upd = updates.data<T>();
      for (size_t i = 0; i < targets.size(); ++i) combine(dst[targets[i]], upd[i]);
    });
  }

 private:
  int64_t axis_;
  Reduction reduction_;
};

class ScatterNDKernel final : public OpKernel {
 public:
  explicit ScatterNDKernel(Reduction reduction) : reduction_(reduction) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& data = ctx.input(0);
    const Tensor& indices_tensor = ctx.input(1);
    const Tensor& updates = ctx.input(2);
    const Shape& dshape = data.shape();
    const Shape& ishape = indices_tensor.shape();
    if (updates.dtype() != data.dtype()) return Status::InvalidArgument("updates and data types differ");
    if (data.rank() < 1 || indices_tensor.rank() < 1) return ShapeError("data and indices must have rank >= 1");
    const int64_t k = ishape.back();
    if (k < 1 || k > data.rank()) {
      return ShapeError("last indices dimension " + std::to_string(k) + " must be in [1, " +
                        std::to_string(data.rank()) + "]");
    }
    const auto ku = static_cast<size_t>(k);
    Shape expected_updates(ishape.begin(), ishape.end() - 1);
    expected_updates.insert(expected_updates.end(), dshape.begin() + k, dshape.end());
    if (updates.shape() != expected_updates) {
      return ShapeError("updates shape " + ShapeToString(updates.shape()) + " should be " +
                        ShapeToString(expected_updates));
    }
    KILN_ASSIGN_OR_RETURN(const IndexView indices, IndexView::From(indices_tensor, "indices"));

    const int64_t slice = SizeFromDim(dshape, ku, dshape.size());
    KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> offsets, IndexTupleOffsets(dshape, ishape, indices, 0));

    Tensor& out = ctx.AllocateOutput(0, data.dtype(), dshape);
    return DispatchScatter(data.dtype(), reduction_, [&](auto tag, auto combine) {
      using T = typename decltype(tag)::type;
      T* dst = out.data<T>();
      std::copy_n(data.data<T>(), data.num_elements(), dst);
      const T* upd = updates.data<T>();
      for (int64_t offset : offsets) {
        T* target = dst + offset;
        for (int64_t e = 0; e < slice; ++e) combine(target[e], upd[e]);
        upd += slice;
      }
    });
  }

 private:
  Reduction reduction_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeScatterElements(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(const Reduction reduction, ParseReduction(init));
  return std::unique_ptr<OpKernel>(new ScatterElementsKernel(init, reduction));
}

Result<std::unique_ptr<OpKernel>> MakeScatterND(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(const Reduction reduction, ParseReduction(init));
  return std::unique_ptr<OpKernel>(new ScatterNDKernel(reduction));
}

}  // namespace kiln::cpu
