// MatMulInteger: matmul of uint8/int8 matrices minus their zero points
// (per tensor, per row of A or per column of B), accumulated in int32.
// QLinearMatMul: the same, requantized to the output's scale and zero point.
#include "engine/kernels/cpu/int8_matmul_integer.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/matmul_util.h"
#include "engine/kernels/cpu/quantize_util.h"

namespace kiln::cpu {
namespace {

// int32 products of the operands at a_index / b_index with zero points removed.
Result<std::vector<int32_t>> IntegerMatMul(const KernelContext& ctx, int a_index, int a_zp_index, int b_index,
                                           int b_zp_index, MatMulShape& shape) {
  const Tensor& a = ctx.input(a_index);
  const Tensor& b = ctx.input(b_index);
  KILN_ASSIGN_OR_RETURN(shape, MatMulShapeFor(a.shape(), b.shape()));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> a_zp, ReadPerChannel<int32_t>(ctx, a_zp_index, shape.m, "a_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> b_zp, ReadPerChannel<int32_t>(ctx, b_zp_index, shape.n, "b_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> ai, WidenQuantized(a, a_zp, shape.k));
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> bi, WidenQuantized(b, b_zp, 1));
  std::vector<int32_t> out(static_cast<size_t>(NumElements(shape.out)));
  if (!out.empty()) BatchedMatMul<int32_t>(shape, ai.data(), bi.data(), out.data());
  return out;
}

class MatMulIntegerKernel final : public OpKernel {
 public:
  explicit MatMulIntegerKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    MatMulShape shape;
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> acc, IntegerMatMul(ctx, 0, 2, 1, 3, shape));
    Tensor& y = ctx.AllocateOutput(0, DataType::kInt32, shape.out);
    std::copy(acc.begin(), acc.end(), y.data<int32_t>());
    return Status::Ok();
  }
};

class QLinearMatMulKernel final : public OpKernel {
 public:
  explicit QLinearMatMulKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i : {0, 1, 3, 4, 6}) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    MatMulShape shape;
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> acc, IntegerMatMul(ctx, 0, 2, 3, 5, shape));
    KILN_ASSIGN_OR_RETURN(std::vector<double> a_scale, ReadPerChannel<double>(ctx, 1, shape.m, "a_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<double> b_scale, ReadPerChannel<double>(ctx, 4, shape.n, "b_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<double> y_scale, ReadPerChannel<double>(ctx, 6, 1, "y_scale"));
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> y_zp, ReadPerChannel<int32_t>(ctx, 7, 1, "y_zero_point"));
    const DataType out_type = ctx.has_input(7) ? ctx.input(7).dtype() : ctx.input(0).dtype();
    Tensor& y = ctx.AllocateOutput(0, out_type, shape.out);
    const int64_t m = shape.m, n = shape.n;
    // multiplier[i * n + j] = a_scale[i] * b_scale[j] / y_scale
    std::vector<float> multiplier(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        multiplier[static_cast<size_t>(i * n + j)] =
            static_cast<float>(a_scale[static_cast<size_t>(i)] * b_scale[static_cast<size_t>(j)] / y_scale[0]);
    return DispatchType<QuantTypes>(out_type, [&](auto tag) {
      using Q = typename decltype(tag)::type;
      Q* py = y.data<Q>();
      const size_t matrix = static_cast<size_t>(m * n);
      for (size_t e = 0; e < acc.size(); ++e) {
        py[e] = SaturateRound<Q>(std::nearbyint(static_cast<float>(acc[e]) * multiplier[e % matrix]) +
                                 static_cast<float>(y_zp[0]));
      }
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMatMulInteger(const KernelInit& init) {
  auto generic = std::make_unique<MatMulIntegerKernel>(init);
  // Constant symmetric int8 B (dynamically quantized models): oneDNN.
  if (auto fast = MaybeMakeDnnlMatMulInteger(init, std::move(generic))) return fast;
  return MakeKernel<MatMulIntegerKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeQLinearMatMul(const KernelInit& init) {
  return MakeKernel<QLinearMatMulKernel>(init);
}

}  // namespace kiln::cpu
