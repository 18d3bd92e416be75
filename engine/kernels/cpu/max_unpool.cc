// MaxUnpool (opset 9, 11): partial inverse of MaxPool. Scatters X into a zero
// tensor at the flat indices I of the unpooled shape implied by kernel_shape,
// strides and pads; an output_shape input enlarges it with trailing zeros
// (as the ONNX reference implementation does).
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"

namespace kiln::cpu {
namespace {

class MaxUnpoolKernel final : public OpKernel {
 public:
  MaxUnpoolKernel(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads)
      : kernel_(std::move(kernel)), strides_(std::move(strides)), pads_(std::move(pads)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const size_t rank = kernel_.size();
    if (x.shape().size() != rank + 2) {
      return ShapeError("X of shape " + ShapeToString(x.shape()) + " does not match kernel_shape of rank " +
                        std::to_string(rank));
    }
    if (indices.shape() != x.shape()) {
      return ShapeError("I has shape " + ShapeToString(indices.shape()) + ", X has " + ShapeToString(x.shape()));
    }
    Shape unpooled = {x.dim(0), x.dim(1)};
    for (size_t d = 0; d < rank; ++d) {
      const int64_t len = (x.dim(static_cast<int>(d + 2)) - 1) * strides_[d] - pads_[d] - pads_[d + rank] + kernel_[d];
      if (len < 0) return ShapeError("pads are larger than the unpooled size");
      unpooled.push_back(len);
    }
    Shape out_shape = unpooled;
    if (ctx.has_input(2)) {
      out_shape = InputAsInt64s(ctx, 2);
      if (out_shape.size() != unpooled.size()) {
        return ShapeError("output_shape must have " + std::to_string(unpooled.size()) + " values");
      }
      for (size_t d = 0; d < out_shape.size(); ++d) {
        if (out_shape[d] < unpooled[d]) {
          return ShapeError("output_shape " + ShapeToString(out_shape) + " is smaller than the unpooled shape " +
                            ShapeToString(unpooled));
        }
      }
    }
    KILN_RETURN_IF_ERROR(CheckOutputShape(out_shape, x.dtype(), "output shape"));
    const int64_t unpooled_count = NumElements(unpooled);
    std::vector<int64_t> targets(static_cast<size_t>(x.num_elements()));
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      const int64_t idx = indices.GetInt(i);
      if (idx < 0 || idx >= unpooled_count) {
        return Status::InvalidArgument("index " + std::to_string(idx) + " is outside the unpooled shape " +
                                       ShapeToString(unpooled));
      }
      targets[static_cast<size_t>(i)] = OutputOffset(idx, unpooled, out_shape);
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
    return DispatchType<AllNumericTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dst = y.data<T>();
      std::fill(dst, dst + y.num_elements(), T(0));
      const T* src = x.data<T>();
      for (size_t i = 0; i < targets.size(); ++i) dst[targets[i]] = src[i];
    });
  }

 private:
  // Offset in `to` of the element at flat index `idx` of `from` (to >= from per dim).
  static int64_t OutputOffset(int64_t idx, const Shape& from, const Shape& to) {
    int64_t offset = 0, stride = 1;
    for (size_t d = from.size(); d-- > 0;) {
      offset += (idx % from[d]) * stride;
      idx /= from[d];
      stride *= to[d];
    }
    return offset;
  }

  std::vector<int64_t> kernel_, strides_, pads_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMaxUnpool(const KernelInit& init) {
  std::vector<int64_t> kernel = init.node.GetInts("kernel_shape");
  const size_t rank = kernel.size();
  if (rank == 0) return Status::InvalidArgument("kernel_shape is required");
  std::vector<int64_t> strides = init.node.GetInts("strides", std::vector<int64_t>(rank, 1));
  std::vector<int64_t> pads = init.node.GetInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (strides.size() != rank || pads.size() != 2 * rank) {
    return Status::InvalidArgument("strides and pads must match kernel_shape's rank");
  }
  for (size_t d = 0; d < rank; ++d) {
    if (kernel[d] < 1 || strides[d] < 1) return Status::InvalidArgument("kernel_shape and strides must be positive");
  }
  for (int64_t p : pads) {
    if (p < 0) return Status::InvalidArgument("pads must not be negative");
  }
  return std::unique_ptr<OpKernel>(new MaxUnpoolKernel(std::move(kernel), std::move(strides), std::move(pads)));
}

}  // namespace kiln::cpu
