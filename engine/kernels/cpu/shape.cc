// Shape: the input's dimensions (optionally a [start, end) slice of them) as
// a 1-D int64 tensor. Size: the input's element count as an int64 scalar.
#include <algorithm>
#include <optional>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class ShapeKernel final : public OpKernel {
 public:
  explicit ShapeKernel(const KernelInit& init) : start_(init.node.GetInt("start", 0)) {
    if (init.node.HasAttribute("end")) end_ = init.node.GetInt("end", 0);
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Shape& s = ctx.input(0).shape();
    const int64_t rank = static_cast<int64_t>(s.size());
    auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t start = clamp(start_);
    const int64_t end = std::max(start, end_ ? clamp(*end_) : rank);
    Tensor& out = ctx.AllocateOutput(0, DataType::kInt64, {end - start});
    std::copy(s.begin() + start, s.begin() + end, out.data<int64_t>());
    return Status::Ok();
  }

 private:
  int64_t start_;
  std::optional<int64_t> end_;
};

class SizeKernel final : public OpKernel {
 public:
  explicit SizeKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    ctx.AllocateOutput(0, DataType::kInt64, {}).data<int64_t>()[0] = ctx.input(0).num_elements();
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeShape(const KernelInit& init) { return MakeKernel<ShapeKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeSize(const KernelInit& init) { return MakeKernel<SizeKernel>(init); }

}  // namespace kiln::cpu
