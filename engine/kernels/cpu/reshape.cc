// Reshape, Flatten, Squeeze, Unsqueeze: change a tensor's shape without
// touching its data; the output shares the input's storage.
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

// Resolves 0 (copy the input dimension, unless allow_zero) and -1 (inferred) in `requested`.
Result<Shape> ResolveReshape(const Shape& in, const std::vector<int64_t>& requested, bool allow_zero) {
  Shape out(requested.begin(), requested.end());
  int64_t inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (inferred >= 0) return ShapeError("shape has more than one -1 dimension");
      inferred = static_cast<int64_t>(i);
      continue;
    }
    if (out[i] == 0 && !allow_zero) {
      if (i >= in.size()) {
        return ShapeError("shape dimension " + std::to_string(i) + " is 0 but the input has rank " +
                          std::to_string(in.size()));
      }
      out[i] = in[i];
    } else if (out[i] < 0) {
      return ShapeError("invalid shape dimension " + std::to_string(out[i]));
    }
    known *= out[i];
  }
  const int64_t total = NumElements(in);
  if (inferred >= 0) {
    if (known == 0) {
      if (total != 0) return ShapeError("cannot infer the -1 dimension of a shape with a zero dimension");
      out[static_cast<size_t>(inferred)] = 0;
      return out;
    }
    if (total % known != 0) {
      return ShapeError("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(requested));
    }
    out[static_cast<size_t>(inferred)] = total / known;
  } else if (known != total) {
    return ShapeError("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(requested));
  }
  return out;
}

class ReshapeKernel final : public OpKernel {
 public:
  explicit ReshapeKernel(const KernelInit& init)
      : shape_from_attribute_(init.opset < 5),
        shape_attribute_(init.node.GetInts("shape")),
        allow_zero_(init.node.GetInt("allowzero", 0) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    std::vector<int64_t> requested;
    if (shape_from_attribute_) {
      requested = shape_attribute_;
    } else {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      requested = ctx.input(1).ToInt64Vector();
    }
    KILN_ASSIGN_OR_RETURN(Shape out, ResolveReshape(in.shape(), requested, allow_zero_));
    ctx.SetOutput(0, Value(in.Reshape(std::move(out))));
    return Status::Ok();
  }

 private:
  bool shape_from_attribute_;
  std::vector<int64_t> shape_attribute_;
  bool allow_zero_;
};

class FlattenKernel final : public OpKernel {
 public:
  explicit FlattenKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 1)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const int64_t rank = in.rank();
    if (axis_ < -rank || axis_ > rank) {
      return ShapeError("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
    }
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
    const Shape& s = in.shape();
    ctx.SetOutput(0, Value(in.Reshape({SizeFromDim(s, 0, axis), SizeFromDim(s, axis, s.size())})));
    return Status::Ok();
  }

 private:
  int64_t axis_;
};

// Axes from the attribute (opset < 13) or from input 1.
class AxesSource {
 public:
  explicit AxesSource(const KernelInit& init)
      : from_attribute_(init.opset < 13), attribute_(init.node.GetInts("axes")) {}
  std::vector<int64_t> Get(const KernelContext& ctx) const {
    return from_attribute_ ? attribute_ : InputAsInt64s(ctx, 1);
  }

 private:
  bool from_attribute_;
  std::vector<int64_t> attribute_;
};

// Normalizes `axes` against `rank` and rejects duplicates; returns a mask of length rank.
Result<std::vector<bool>> AxesMask(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return ShapeError("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    }
    const size_t axis = static_cast<size_t>(a < 0 ? a + rank : a);
    if (mask[axis]) return ShapeError("axis " + std::to_string(a) + " is repeated");
    mask[axis] = true;
  }
  return mask;
}

class SqueezeKernel final : public OpKernel {
 public:
  explicit SqueezeKernel(const KernelInit& init) : axes_(init) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const std::vector<int64_t> axes = axes_.Get(ctx);
    const Shape& s = in.shape();
    Shape out;
    if (axes.empty()) {
      for (int64_t d : s) {
        if (d != 1) out.push_back(d);
      }
    } else {
      KILN_ASSIGN_OR_RETURN(std::vector<bool> mask, AxesMask(axes, in.rank()));
      for (size_t i = 0; i < s.size(); ++i) {
        if (!mask[i]) {
          out.push_back(s[i]);
        } else if (s[i] != 1) {
          return ShapeError("cannot squeeze axis " + std::to_string(i) + " of size " + std::to_string(s[i]));
        }
      }
    }
    ctx.SetOutput(0, Value(in.Reshape(std::move(out))));
    return Status::Ok();
  }

 private:
  AxesSource axes_;
};

class UnsqueezeKernel final : public OpKernel {
 public:
  explicit UnsqueezeKernel(const KernelInit& init) : axes_(init) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const std::vector<int64_t> axes = axes_.Get(ctx);
    const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
    KILN_ASSIGN_OR_RETURN(std::vector<bool> mask, AxesMask(axes, out_rank));
    Shape out(static_cast<size_t>(out_rank), 1);
    size_t next = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!mask[i]) out[i] = in.shape()[next++];
    }
    ctx.SetOutput(0, Value(in.Reshape(std::move(out))));
    return Status::Ok();
  }

 private:
  AxesSource axes_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeReshape(const KernelInit& init) { return MakeKernel<ReshapeKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeFlatten(const KernelInit& init) { return MakeKernel<FlattenKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeSqueeze(const KernelInit& init) { return MakeKernel<SqueezeKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeUnsqueeze(const KernelInit& init) { return MakeKernel<UnsqueezeKernel>(init); }

}  // namespace kiln::cpu
