// ReverseSequence: for each batch entry b, reverses the first
// sequence_lens[b] steps along time_axis and copies the rest unchanged.
#include <algorithm>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class ReverseSequenceKernel final : public OpKernel {
 public:
  ReverseSequenceKernel(int64_t time_axis, int64_t batch_axis) : time_axis_(time_axis), batch_axis_(batch_axis) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& input = ctx.input(0);
    if (input.rank() < 2) return ShapeError("input must have rank >= 2, got " + ShapeToString(input.shape()));
    KILN_ASSIGN_OR_RETURN(const IndexView lens, IndexView::From(ctx.input(1), "sequence_lens"));
    const int64_t max_len = input.dim(static_cast<int>(time_axis_));
    const int64_t batch = input.dim(static_cast<int>(batch_axis_));
    if (ctx.input(1).rank() != 1 || lens.size() != batch) {
      return ShapeError("sequence_lens must be 1-D with " + std::to_string(batch) + " entries");
    }
    for (int64_t b = 0; b < batch; ++b) {
      if (lens[b] < 0 || lens[b] > max_len) {
        return Status::InvalidArgument("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(lens[b]) +
                                       " is outside [0, " + std::to_string(max_len) + "]");
      }
    }
    const std::vector<int64_t> strides = ContiguousStrides(input.shape());
    const int64_t time_stride = strides[static_cast<size_t>(time_axis_)];
    const int64_t batch_stride = strides[static_cast<size_t>(batch_axis_)];
    const int64_t inner = SizeFromDim(input.shape(), 2, input.shape().size());  // the dims after time and batch

    Tensor& out = ctx.AllocateOutput(0, input.dtype(), input.shape());
    return DispatchByElementSize(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = input.data<T>();
      T* dst = out.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t len = lens[b];
        for (int64_t t = 0; t < max_len; ++t) {
          const int64_t from = t < len ? len - 1 - t : t;
          const T* s = src + b * batch_stride + from * time_stride;
          T* d = dst + b * batch_stride + t * time_stride;
          std::copy_n(s, inner, d);
        }
      }
    });
  }

 private:
  int64_t time_axis_;
  int64_t batch_axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeReverseSequence(const KernelInit& init) {
  const int64_t time_axis = init.node.GetInt("time_axis", 0);
  const int64_t batch_axis = init.node.GetInt("batch_axis", 1);
  if ((time_axis != 0 && time_axis != 1) || (batch_axis != 0 && batch_axis != 1) || time_axis == batch_axis) {
    return Status::InvalidArgument("time_axis and batch_axis must be 0 and 1 in some order");
  }
  return std::unique_ptr<OpKernel>(new ReverseSequenceKernel(time_axis, batch_axis));
}

}  // namespace kiln::cpu
