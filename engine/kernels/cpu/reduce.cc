// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare: reduce a tensor along a set of
// axes (attribute, or input 1 for ReduceSum since opset 13), keeping or dropping them.
#include <algorithm>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/reduce_axes.h"

namespace kiln::cpu {
namespace {

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// Floats accumulate in double; integers in their own type (ONNX keeps the dtype).
template <typename T>
using AccType = std::conditional_t<kIsFloat<T>, double, T>;

template <typename T>
T FromAcc(AccType<T> v) {
  return static_cast<T>(static_cast<ComputeType<T>>(v));
}

// A double result (of sqrt, log) as Acc; integers saturate, NaN becomes 0.
template <typename Acc>
Acc FromDouble(double v) {
  if constexpr (std::is_integral_v<Acc>) {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<Acc>::lowest())) return std::numeric_limits<Acc>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<Acc>::max())) return std::numeric_limits<Acc>::max();
  }
  return static_cast<Acc>(v);
}

// Applies `step(acc, x)` over each output's reduced elements, then `finish(acc, count)`.
template <typename T, typename Step, typename Finish>
void ReduceEach(const T* x, const ReductionLayout& layout, T* y, AccType<T> init, Step step, Finish finish) {
  using Acc = AccType<T>;
  for (size_t o = 0; o < layout.output_offsets.size(); ++o) {
    const T* base = x + layout.output_offsets[o];
    Acc acc = init;
    ForEachReducedOffset(layout,
                         [&](int64_t r) { acc = step(acc, static_cast<Acc>(static_cast<ComputeType<T>>(base[r]))); });
    y[o] = FromAcc<T>(finish(acc, layout.reduced_count));
  }
}

template <typename T>
void LogSumExpEach(const T* x, const ReductionLayout& layout, T* y) {
  for (size_t o = 0; o < layout.output_offsets.size(); ++o) {
    const T* base = x + layout.output_offsets[o];
    double m = -std::numeric_limits<double>::infinity();
    ForEachReducedOffset(
        layout, [&](int64_t r) { m = std::max(m, static_cast<double>(static_cast<ComputeType<T>>(base[r]))); });
    if (!std::isfinite(m)) {
      y[o] = FromAcc<T>(FromDouble<AccType<T>>(m));
      continue;
    }
    double s = 0;
    ForEachReducedOffset(
        layout, [&](int64_t r) { s += std::exp(static_cast<double>(static_cast<ComputeType<T>>(base[r])) - m); });
    y[o] = FromAcc<T>(FromDouble<AccType<T>>(std::log(s) + m));
  }
}

template <typename T>
Status RunReduce(ReduceOp op, const T* x, const ReductionLayout& layout, T* y) {
  using Acc = AccType<T>;
  auto identity = [](Acc a, int64_t) { return a; };
  auto add = [](Acc a, Acc v) { return a + v; };
  switch (op) {
    case ReduceOp::kSum:
      ReduceEach(x, layout, y, Acc(0), add, identity);
      break;
    case ReduceOp::kMean:
      if constexpr (!kIsFloat<T>) {
        if (layout.reduced_count == 0) return Status::InvalidArgument("ReduceMean over an empty set of integers");
      }
      ReduceEach(x, layout, y, Acc(0), add, [](Acc a, int64_t n) { return static_cast<Acc>(a / static_cast<Acc>(n)); });
      break;
    case ReduceOp::kMax: {
      Acc lowest = std::numeric_limits<Acc>::has_infinity ? -std::numeric_limits<Acc>::infinity()
                                                          : std::numeric_limits<Acc>::lowest();
      ReduceEach(
          x, layout, y, lowest, [](Acc a, Acc v) { return v > a || v != v ? v : a; }, identity);
      break;
    }
    case ReduceOp::kMin: {
      Acc highest = std::numeric_limits<Acc>::has_infinity ? std::numeric_limits<Acc>::infinity()
                                                           : std::numeric_limits<Acc>::max();
      ReduceEach(
          x, layout, y, highest, [](Acc a, Acc v) { return v < a || v != v ? v : a; }, identity);
      break;
    }
    case ReduceOp::kProd:
      ReduceEach(
          x, layout, y, Acc(1), [](Acc a, Acc v) { return static_cast<Acc>(a * v); }, identity);
      break;
    case ReduceOp::kL1:
      ReduceEach(
          x, layout, y, Acc(0), [](Acc a, Acc v) { return static_cast<Acc>(a + (v < 0 ? -v : v)); }, identity);
      break;
    case ReduceOp::kL2:
      ReduceEach(
          x, layout, y, Acc(0), [](Acc a, Acc v) { return static_cast<Acc>(a + v * v); },
          [](Acc a, int64_t) { return FromDouble<Acc>(std::sqrt(static_cast<double>(a))); });
      break;
    case ReduceOp::kSumSquare:
      ReduceEach(
          x, layout, y, Acc(0), [](Acc a, Acc v) { return static_cast<Acc>(a + v * v); }, identity);
      break;
    case ReduceOp::kLogSum:
      ReduceEach(x, layout, y, Acc(0), add,
                 [](Acc a, int64_t) { return FromDouble<Acc>(std::log(static_cast<double>(a))); });
      break;
    case ReduceOp::kLogSumExp:
      LogSumExpEach(x, layout, y);
      break;
  }
  return Status::Ok();
}

class ReduceKernel final : public OpKernel {
 public:
  ReduceKernel(const KernelInit& init, ReduceOp op, bool axes_from_input)
      : op_(op),
        axes_from_input_(axes_from_input),
        axes_attr_(init.node.GetInts("axes")),
        keepdims_(init.node.GetInt("keepdims", 1) != 0),
        noop_with_empty_axes_(init.node.GetInt("noop_with_empty_axes", 0) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> axes = axes_from_input_ ? InputAsInt64s(ctx, 1) : axes_attr_;
    if (axes.empty() && noop_with_empty_axes_) {
      ctx.SetOutput(0, x);
      return Status::Ok();
    }
    KILN_ASSIGN_OR_RETURN(std::vector<bool> reduced, ReducedAxesMask(axes, x.rank()));
    ReductionLayout layout = MakeReductionLayout(x.shape(), reduced);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), ReducedShape(x.shape(), reduced, keepdims_));
    const ReduceOp op = op_;
    return DispatchType<AllNumericTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return RunReduce<T>(op, x.data<T>(), layout, y.data<T>());
    });
  }

 private:
  ReduceOp op_;
  bool axes_from_input_;
  std::vector<int64_t> axes_attr_;
  bool keepdims_;
  bool noop_with_empty_axes_;
};

template <ReduceOp kOp>
Result<std::unique_ptr<OpKernel>> MakeReduce(const KernelInit& init) {
  // Axes became an input in opset 13 for ReduceSum and in opset 18 for the others.
  const bool axes_from_input = kOp == ReduceOp::kSum ? init.opset >= 13 : init.opset >= 18;
  return std::unique_ptr<OpKernel>(new ReduceKernel(init, kOp, axes_from_input));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeReduceSum(const KernelInit& init) { return MakeReduce<ReduceOp::kSum>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceMean(const KernelInit& init) { return MakeReduce<ReduceOp::kMean>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceMax(const KernelInit& init) { return MakeReduce<ReduceOp::kMax>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceMin(const KernelInit& init) { return MakeReduce<ReduceOp::kMin>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceProd(const KernelInit& init) { return MakeReduce<ReduceOp::kProd>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceL1(const KernelInit& init) { return MakeReduce<ReduceOp::kL1>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceL2(const KernelInit& init) { return MakeReduce<ReduceOp::kL2>(init); }
Result<std::unique_ptr<OpKernel>> MakeReduceLogSum(const KernelInit& init) {
  return MakeReduce<ReduceOp::kLogSum>(init);
}
Result<std::unique_ptr<OpKernel>> MakeReduceLogSumExp(const KernelInit& init) {
  return MakeReduce<ReduceOp::kLogSumExp>(init);
}
Result<std::unique_ptr<OpKernel>> MakeReduceSumSquare(const KernelInit& init) {
  return MakeReduce<ReduceOp::kSumSquare>(init);
}

}  // namespace kiln::cpu
