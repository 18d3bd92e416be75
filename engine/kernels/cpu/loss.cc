// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: the (weighted) negative
// log-probability of each target class over an N x C x D1 ... input, reduced by
// none/sum/mean; SoftmaxCrossEntropyLoss first takes LogSoftmax over the classes
// (dim 1) and can output it as log_prob.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class Reduction { kNone, kSum, kMean };

Result<Reduction> ParseReduction(const std::string& s) {
  if (s == "none") return Reduction::kNone;
  if (s == "sum") return Reduction::kSum;
  if (s == "mean") return Reduction::kMean;
  return Status::InvalidArgument("reduction must be none, sum or mean, got '" + s + "'");
}

struct LossDims {
  int64_t n = 0, c = 0, d = 0;  // input viewed as N x C x D
};

Result<LossDims> CheckLossShapes(const Tensor& input, const Tensor& target, const KernelContext& ctx,
                                 int weight_input) {
  if (input.rank() < 2)
    return Status::InvalidArgument("input must have rank >= 2, got " + ShapeToString(input.shape()));
  LossDims dims{input.dim(0), input.dim(1), SizeFromDim(input.shape(), 2, input.shape().size())};
  Shape expected_target{input.dim(0)};
  expected_target.insert(expected_target.end(), input.shape().begin() + 2, input.shape().end());
  if (target.shape() != expected_target) {
    return Status::InvalidArgument("target shape " + ShapeToString(target.shape()) + " does not match input shape " +
                                   ShapeToString(input.shape()) + " (expected " + ShapeToString(expected_target) + ")");
  }
  if (target.dtype() != DataType::kInt32 && target.dtype() != DataType::kInt64) {
    return Status::InvalidArgument("target must be int32 or int64");
  }
  if (ctx.has_input(weight_input)) {
    const Tensor& w = ctx.input(weight_input);
    if (w.rank() != 1 || w.dim(0) != dims.c) {
      return Status::InvalidArgument("weight shape " + ShapeToString(w.shape()) + " must be [" +
                                     std::to_string(dims.c) + "]");
    }
  }
  return dims;
}

// Writes the loss of log-probabilities `log_prob` (N x C x D, row-major) into output 0.
template <typename T>
Status NllLoss(KernelContext& ctx, const T* log_prob, DataType dtype, const LossDims& dims, const Tensor& target,
               const Tensor* weight, Reduction reduction, bool has_ignore_index, int64_t ignore_index) {
  const std::vector<int64_t> labels = target.ToInt64Vector();
  std::vector<double> losses(labels.size());
  double weighted_loss_sum = 0, weight_sum = 0;
  for (int64_t i = 0; i < dims.n; ++i) {
    for (int64_t j = 0; j < dims.d; ++j) {
      const size_t k = static_cast<size_t>(i * dims.d + j);
      const int64_t label = labels[k];
      if (has_ignore_index && label == ignore_index) {
        losses[k] = 0;
        continue;
      }
      if (label < 0 || label >= dims.c) {
        return Status::InvalidArgument("target value " + std::to_string(label) + " is out of range [0, " +
                                       std::to_string(dims.c) + ")");
      }
      const double w = weight ? weight->GetDouble(label) : 1.0;
      const double lp = static_cast<double>(static_cast<ComputeType<T>>(log_prob[(i * dims.c + label) * dims.d + j]));
      losses[k] = -lp * w;
      weighted_loss_sum += losses[k];
      weight_sum += w;
    }
  }
  if (reduction == Reduction::kNone) {
    Tensor& out = ctx.AllocateOutput(0, dtype, target.shape());
    T* p = out.data<T>();
    for (size_t k = 0; k < losses.size(); ++k) p[k] = static_cast<T>(static_cast<ComputeType<T>>(losses[k]));
    return Status::Ok();
  }
  double result = weighted_loss_sum;
  if (reduction == Reduction::kMean) {
    result = weight_sum == 0 ? std::numeric_limits<double>::quiet_NaN() : weighted_loss_sum / weight_sum;
  }
  Tensor& out = ctx.AllocateOutput(0, dtype, {});
  out.data<T>()[0] = static_cast<T>(static_cast<ComputeType<T>>(result));
  return Status::Ok();
}

class LossKernel final : public OpKernel {
 public:
  LossKernel(bool softmax, Reduction reduction, bool has_ignore_index, int64_t ignore_index)
      : softmax_(softmax), reduction_(reduction), has_ignore_index_(has_ignore_index), ignore_index_(ignore_index) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& input = ctx.input(0);
    const Tensor& target = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(LossDims dims, CheckLossShapes(input, target, ctx, 2));
    const Tensor* weight = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    return DispatchType<FloatTypes>(input.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      if (!softmax_) {
        return NllLoss<T>(ctx, input.data<T>(), input.dtype(), dims, target, weight, reduction_, has_ignore_index_,
                          ignore_index_);
      }
      Tensor log_prob = ctx.wants_output(1) ? ctx.AllocateOutput(1, input.dtype(), input.shape())
                                            : Tensor::Allocate(input.dtype(), input.shape());
      LogSoftmaxOverClasses<T>(input.data<T>(), log_prob.data<T>(), dims);
      return NllLoss<T>(ctx, log_prob.data<T>(), input.dtype(), dims, target, weight, reduction_, has_ignore_index_,
                        ignore_index_);
    });
  }

 private:
  // LogSoftmax along C of an N x C x D tensor.
  template <typename T>
  static void LogSoftmaxOverClasses(const T* x, T* y, const LossDims& dims) {
    for (int64_t i = 0; i < dims.n; ++i) {
      const T* xb = x + i * dims.c * dims.d;
      T* yb = y + i * dims.c * dims.d;
      for (int64_t j = 0; j < dims.d; ++j) {
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < dims.c; ++c)
          m = std::max(m, static_cast<double>(static_cast<ComputeType<T>>(xb[c * dims.d + j])));
        double sum = 0;
        for (int64_t c = 0; c < dims.c; ++c)
          sum += std::exp(static_cast<double>(static_cast<ComputeType<T>>(xb[c * dims.d + j])) - m);
        const double shift = m + std::log(sum);
        for (int64_t c = 0; c < dims.c; ++c) {
          yb[c * dims.d + j] = static_cast<T>(static_cast<ComputeType<T>>(
              static_cast<double>(static_cast<ComputeType<T>>(xb[c * dims.d + j])) - shift));
        }
      }
    }
  }

  bool softmax_;
  Reduction reduction_;
  bool has_ignore_index_;
  int64_t ignore_index_;
};

Result<std::unique_ptr<OpKernel>> MakeLoss(const KernelInit& init, bool softmax) {
  KILN_ASSIGN_OR_RETURN(Reduction reduction, ParseReduction(init.node.GetString("reduction", "mean")));
  return std::unique_ptr<OpKernel>(
      new LossKernel(softmax, reduction, init.node.HasAttribute("ignore_index"), init.node.GetInt("ignore_index", 0)));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeNegativeLogLikelihoodLoss(const KernelInit& init) {
  return MakeLoss(init, /*softmax=*/false);
}
Result<std::unique_ptr<OpKernel>> MakeSoftmaxCrossEntropyLoss(const KernelInit& init) {
  return MakeLoss(init, /*softmax=*/true);
}

}  // namespace kiln::cpu
