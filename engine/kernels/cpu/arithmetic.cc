// Add, Sub, Mul, Div: elementwise arithmetic with multidirectional
// broadcasting (opset >= 7) or the legacy broadcast attribute (opset < 7).
//
// float tensors (opset >= 7) take the vectorized loops of vector_math.h:
// equal shapes and scalar operands as one flat array, anything else row by
// row along the output's last dimension (a bias row, a per-row scalar, ...).
// Large outputs are split over the session's threads. Other element types
// and legacy broadcasting use the generic BinaryKernel.
#include <type_traits>
#include <vector>

#include "engine/kernels/cpu/binary_elementwise.h"
#include "engine/kernels/cpu/elementwise_chunks.h"
#include "engine/kernels/cpu/vector_math.h"

namespace kiln::cpu {
namespace {

// a / b on ComputeType operands, with integer division by zero and
// lowest / -1 defined instead of trapping (ONNX leaves both undefined).
template <typename C>
C Divide(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    if (b == 0) return C{};
    if constexpr (std::is_signed_v<C>) {
      // lowest / -1 overflows (and traps on x86): wrap like two's complement negation.
      if (b == -1) return static_cast<C>(C(0) - static_cast<std::make_unsigned_t<C>>(a));
    }
  }
  return static_cast<C>(a / b);
}

// out = a op b for float a, b, with broadcasting.
void FloatBroadcastBinary(vec::BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out, ThreadPool* pool) {
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  const Shape& shape = out.shape();
  const int64_t total = out.num_elements();
  if (total == 0) return;
  const int64_t a_step = a.num_elements() == 1 ? 0 : 1, b_step = b.num_elements() == 1 ? 0 : 1;
  if ((a_step == 0 || a.shape() == shape) && (b_step == 0 || b.shape() == shape)) {
    ForEachElementChunk(pool, total, [&](int64_t begin, int64_t end) {
      vec::Binary(op, pa + begin * a_step, a_step, pb + begin * b_step, b_step, po + begin, end - begin);
    });
    return;
  }
  // Row by row along the last dimension; each input's row offset from its
  // broadcast strides over the outer dimensions.
  const size_t rank = shape.size();
  const std::vector<int64_t> sa = BroadcastStrides(a.shape(), shape), sb = BroadcastStrides(b.shape(), shape);
  const int64_t inner = shape[rank - 1];
  const int64_t rows = total / inner;
  const int64_t step_a = sa[rank - 1] != 0 ? 1 : 0, step_b = sb[rank - 1] != 0 ? 1 : 0;
  ForEachRowChunk(pool, rows, inner, [&](int64_t first, int64_t last) {
    // Multi-index of row `first` over the outer dimensions.
    std::vector<int64_t> index(rank, 0);
    int64_t offset_a = 0, offset_b = 0;
    for (int64_t r = first, d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      index[du] = r % shape[du];
      r /= shape[du];
      offset_a += index[du] * sa[du];
      offset_b += index[du] * sb[du];
    }
    for (int64_t row = first; row < last; ++row) {
      vec::Binary(op, pa + offset_a, step_a, pb + offset_b, step_b, po + row * inner, inner);
      for (size_t d = rank - 1; d-- > 0;) {
        ++index[d];
        offset_a += sa[d];
        offset_b += sb[d];
        if (index[d] < shape[d]) break;
        offset_a -= sa[d] * shape[d];
        offset_b -= sb[d] * shape[d];
        index[d] = 0;
      }
    }
  });
}

class ArithmeticKernel final : public OpKernel {
 public:
  ArithmeticKernel(const KernelInit& init, vec::BinaryOp op, std::unique_ptr<OpKernel> generic)
      : legacy_(init.opset < 7), op_(op), generic_(std::move(generic)) {}

  Status Compute(KernelContext& ctx) const override {
    if (legacy_ || !ctx.has_input(0) || !ctx.has_input(1) || ctx.input(0).dtype() != DataType::kFloat ||
        ctx.input(1).dtype() != DataType::kFloat) {
      return generic_->Compute(ctx);
    }
    const Tensor a = ctx.input(0);
    const Tensor b = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({a.shape(), b.shape()}));
    Tensor& out = ctx.AllocateOutput(0, DataType::kFloat, out_shape);
    FloatBroadcastBinary(op_, a, b, out, ctx.thread_pool());
    return Status::Ok();
  }

 private:
  bool legacy_;
  vec::BinaryOp op_;
  std::unique_ptr<OpKernel> generic_;
};

template <typename F>
Result<std::unique_ptr<OpKernel>> MakeArithmetic(const KernelInit& init, vec::BinaryOp op, F f) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<OpKernel> generic, (MakeBinaryKernel<AllNumericTypes, false>(init, f)));
  return std::unique_ptr<OpKernel>(new ArithmeticKernel(init, op, std::move(generic)));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAdd(const KernelInit& init) {
  return MakeArithmetic(init, vec::BinaryOp::kAdd, [](auto x, auto y) { return x + y; });
}
Result<std::unique_ptr<OpKernel>> MakeSub(const KernelInit& init) {
  return MakeArithmetic(init, vec::BinaryOp::kSub, [](auto x, auto y) { return x - y; });
}
Result<std::unique_ptr<OpKernel>> MakeMul(const KernelInit& init) {
  return MakeArithmetic(init, vec::BinaryOp::kMul, [](auto x, auto y) { return x * y; });
}
Result<std::unique_ptr<OpKernel>> MakeDiv(const KernelInit& init) {
  return MakeArithmetic(init, vec::BinaryOp::kDiv, [](auto x, auto y) { return Divide(x, y); });
}

}  // namespace kiln::cpu
