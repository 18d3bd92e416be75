// Add, Sub, Mul, Div: elementwise arithmetic with multidirectional
// broadcasting (opset >= 7) or the legacy broadcast attribute (opset < 7).
#include <functional>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class ArithOp { kAdd, kSub, kMul, kDiv };

template <typename T>
T Apply(ArithOp op, T x, T y) {
  using C = ComputeType<T>;
  C a = static_cast<C>(x), b = static_cast<C>(y);
  switch (op) {
    case ArithOp::kAdd: return static_cast<T>(a + b);
    case ArithOp::kSub: return static_cast<T>(a - b);
    case ArithOp::kMul: return static_cast<T>(a * b);
    case ArithOp::kDiv:
      if constexpr (std::is_integral_v<C>) {
        if (b == 0) return T{};  // defined here instead of crashing; ONNX leaves it undefined
        if constexpr (std::is_signed_v<C>) {
          // lowest / -1 overflows (and traps on x86): wrap like two's complement negation.
          if (b == -1) return static_cast<T>(C(0) - static_cast<std::make_unsigned_t<C>>(a));
        }
      }
      return static_cast<T>(a / b);
  }
  return T{};
}

class ArithmeticKernel final : public OpKernel {
 public:
  ArithmeticKernel(const KernelInit& init, ArithOp op)
      : op_(op),
        legacy_(init.opset < 7),
        broadcast_(init.node.GetInt("broadcast", 0) != 0),
        has_axis_(init.node.HasAttribute("axis")),
        axis_(init.node.GetInt("axis", 0)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    Tensor a = ctx.input(0);
    Tensor b = ctx.input(1);
    if (a.dtype() != b.dtype()) {
      return Status::InvalidArgument("inputs have different data types: " + std::string(DataTypeName(a.dtype())) +
                                     " and " + std::string(DataTypeName(b.dtype())));
    }
    if (legacy_) {
      if (broadcast_) {
        KILN_ASSIGN_OR_RETURN(Shape bs, LegacyBroadcastShape(a.shape(), b.shape(), axis_, has_axis_));
        b = b.Reshape(bs);
      } else if (a.shape() != b.shape() && b.num_elements() != 1) {
        return Status::InvalidArgument("shapes " + ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()) +
                                       " differ and broadcast is not enabled");
      }
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({a.shape(), b.shape()}));
    Tensor& out = ctx.AllocateOutput(0, a.dtype(), out_shape);
    const ArithOp op = op_;
    return DispatchType<AllNumericTypes>(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      BinaryBroadcastLoop<T, T, T>(a, b, out, [op](T x, T y) { return Apply<T>(op, x, y); });
    });
  }

 private:
  ArithOp op_;
  bool legacy_;
  bool broadcast_;
  bool has_axis_;
  int64_t axis_;
};

template <ArithOp kOp>
Result<std::unique_ptr<OpKernel>> MakeArithmetic(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new ArithmeticKernel(init, kOp));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAdd(const KernelInit& init) { return MakeArithmetic<ArithOp::kAdd>(init); }
Result<std::unique_ptr<OpKernel>> MakeSub(const KernelInit& init) { return MakeArithmetic<ArithOp::kSub>(init); }
Result<std::unique_ptr<OpKernel>> MakeMul(const KernelInit& init) { return MakeArithmetic<ArithOp::kMul>(init); }
Result<std::unique_ptr<OpKernel>> MakeDiv(const KernelInit& init) { return MakeArithmetic<ArithOp::kDiv>(init); }

}  // namespace kiln::cpu
