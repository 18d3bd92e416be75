// Transpose: permutes a tensor's dimensions (reversed when `perm` is absent).
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class TransposeKernel final : public OpKernel {
 public:
  explicit TransposeKernel(const KernelInit& init)
      : has_perm_(init.node.HasAttribute("perm")), perm_(init.node.GetInts("perm")) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const size_t rank = static_cast<size_t>(in.rank());
    std::vector<int64_t> perm = perm_;
    if (!has_perm_) {
      perm.resize(rank);
      for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
    }
    if (perm.size() != rank) {
      return ShapeError("perm has " + std::to_string(perm.size()) + " entries for an input of rank " +
                        std::to_string(rank));
    }
    std::vector<bool> seen(rank, false);
    bool identity = true;
    for (size_t i = 0; i < rank; ++i) {
      const int64_t p = perm[i];
      if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) {
        return ShapeError("perm is not a permutation of the input's " + std::to_string(rank) + " dimensions");
      }
      seen[static_cast<size_t>(p)] = true;
      identity = identity && p == static_cast<int64_t>(i);
    }
    ctx.SetOutput(0, Value(identity ? in : TransposeTensor(in, perm)));
    return Status::Ok();
  }

 private:
  bool has_perm_;
  std::vector<int64_t> perm_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeTranspose(const KernelInit& init) { return MakeKernel<TransposeKernel>(init); }

}  // namespace kiln::cpu
