// TopK: the k largest (or smallest) elements along an axis and their int64
// indices, sorted; ties keep the lower index first. k is an attribute before
// opset 10 and an input from then on; largest/sorted arrive in opset 11.
#include <algorithm>
#include <numeric>
#include <vector>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class TopKKernel final : public OpKernel {
 public:
  explicit TopKKernel(const KernelInit& init)
      : k_from_input_(init.opset >= 10),
        k_attribute_(init.node.GetInt("k", -1)),
        axis_(init.node.GetInt("axis", -1)),
        largest_(init.node.GetInt("largest", 1) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    int64_t k = k_attribute_;
    if (k_from_input_) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      if (ctx.input(1).num_elements() != 1) return ShapeError("K must hold exactly one value");
      k = ctx.input(1).GetInt(0);
    }
    if (input.rank() == 0) return ShapeError("input must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, input.rank()));
    const auto axis_u = static_cast<size_t>(axis);
    const Shape& shape = input.shape();
    const int64_t n = shape[axis_u];
    if (k < 0 || k > n) {
      return Status::InvalidArgument("k = " + std::to_string(k) + " is outside [0, " + std::to_string(n) + "]");
    }
    const int64_t outer = SizeFromDim(shape, 0, axis_u);
    const int64_t inner = SizeFromDim(shape, axis_u + 1, shape.size());
    Shape out_shape = shape;
    out_shape[axis_u] = k;
    // Copies (sharing storage): a reference to an unused output may not outlive the next allocation.
    Tensor values = ctx.AllocateOutput(0, input.dtype(), out_shape);
    Tensor indices = ctx.AllocateOutput(1, DataType::kInt64, out_shape);
    const bool largest = largest_;

    return DispatchType<AllNumericTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      std::vector<C> row(static_cast<size_t>(n));
      std::vector<int64_t> order(static_cast<size_t>(n));
      // Strict total order on positions: by value, then lower index first.
      auto before = [&](int64_t a, int64_t b) {
        const C va = row[static_cast<size_t>(a)], vb = row[static_cast<size_t>(b)];
        if (largest ? LessNanLast(vb, va) : LessNanLast(va, vb)) return true;
        if (largest ? LessNanLast(va, vb) : LessNanLast(vb, va)) return false;
        return a < b;
      };
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* src = input.data<T>() + o * n * inner + i;
          for (int64_t a = 0; a < n; ++a) row[static_cast<size_t>(a)] = static_cast<C>(src[a * inner]);
          std::iota(order.begin(), order.end(), int64_t{0});
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          T* vdst = values.data<T>() + o * k * inner + i;
          int64_t* idst = indices.data<int64_t>() + o * k * inner + i;
          for (int64_t j = 0; j < k; ++j) {
            const int64_t pos = order[static_cast<size_t>(j)];
            vdst[j * inner] = src[pos * inner];
            idst[j * inner] = pos;
          }
        }
      }
    });
  }

 private:
  bool k_from_input_;
  int64_t k_attribute_;
  int64_t axis_;
  bool largest_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeTopK(const KernelInit& init) {
  if (init.opset < 10 && !init.node.HasAttribute("k")) return Status::InvalidArgument("attribute k is required");
  return MakeKernel<TopKKernel>(init);
}

}  // namespace kiln::cpu
