// BatchNormalization: y = scale * (x - mean) / sqrt(var + epsilon) + B per channel
// (dim 1), with the running statistics (inference) or the batch's own statistics
// (training mode, which also outputs updated running mean and variance).
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/norm_statistics.h"

namespace kiln::cpu {
namespace {

std::vector<double> ToDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) v[static_cast<size_t>(i)] = t.GetDouble(i);
  return v;
}

// Before opset 14, training mode is implied by asking for the statistics outputs.
bool HasStatsOutput(const ir::Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty()) return true;
  }
  return false;
}

class BatchNormKernel final : public OpKernel {
 public:
  explicit BatchNormKernel(const KernelInit& init)
      : epsilon_(init.node.GetFloat("epsilon", 1e-5f)),
        momentum_(init.node.GetFloat("momentum", 0.9f)),
        // Before opset 9, spatial=0 gives each activation (C x D1 x ...) its own statistics.
        spatial_(init.opset >= 9 || init.node.GetInt("spatial", 1) != 0),
        training_(init.opset >= 14 ? init.node.GetInt("training_mode", 0) != 0
                                   : (init.opset >= 7 || init.node.GetInt("is_test", 0) == 0) && HasStatsOutput(init.node)) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 5; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& x = ctx.input(0);
    if (x.rank() < 2) return Status::InvalidArgument("input must have rank >= 2, got " + ShapeToString(x.shape()));
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t spatial = SizeFromDim(x.shape(), 2, x.shape().size());
    const int64_t params = spatial_ ? c : c * spatial;
    for (int i = 1; i < 5; ++i) {
      if (ctx.input(i).num_elements() != params) {
        return Status::InvalidArgument("input " + std::to_string(i) + " has shape " +
                                       ShapeToString(ctx.input(i).shape()) + ", expected " + std::to_string(params) +
                                       " elements");
      }
    }
    std::vector<double> scale = ToDoubles(ctx.input(1)), bias = ToDoubles(ctx.input(2));
    std::vector<double> mean = ToDoubles(ctx.input(3)), var = ToDoubles(ctx.input(4));
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), x.shape());

    if (training_) {
      if (!spatial_) return Status::Unimplemented("training mode with spatial=0");
      std::vector<double> batch_mean(static_cast<size_t>(c)), batch_var(static_cast<size_t>(c));
      KILN_RETURN_IF_ERROR(BatchStatistics(x, n, c, spatial, batch_mean, batch_var));
      std::vector<double> running_mean(mean.size()), running_var(var.size());
      for (size_t i = 0; i < mean.size(); ++i) {
        running_mean[i] = mean[i] * momentum_ + batch_mean[i] * (1 - momentum_);
        running_var[i] = var[i] * momentum_ + batch_var[i] * (1 - momentum_);
      }
      const std::vector<double>* results[] = {&running_mean, &running_var, &batch_mean, &batch_var};
      for (int i = 1; i < 5; ++i) {
        if (!ctx.wants_output(i)) continue;
        const Tensor& like = ctx.input(i < 3 ? i + 2 : i);
        KILN_RETURN_IF_ERROR(StoreStatistics(ctx.AllocateOutput(i, like.dtype(), {c}), *results[i - 1]));
      }
      mean = std::move(batch_mean);
      var = std::move(batch_var);
    }

    // y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a.
    std::vector<float> a(static_cast<size_t>(params)), b(static_cast<size_t>(params));
    for (size_t i = 0; i < a.size(); ++i) {
      const double ai = scale[i] / std::sqrt(var[i] + epsilon_);
      a[i] = static_cast<float>(ai);
      b[i] = static_cast<float>(bias[i] - mean[i] * ai);
    }
    const bool per_channel = spatial_;
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t base = (i * c + ch) * spatial;
          if (per_channel) {
            const float ac = a[static_cast<size_t>(ch)], bc = b[static_cast<size_t>(ch)];
            for (int64_t s = 0; s < spatial; ++s)
              yp[base + s] = static_cast<T>(static_cast<float>(xp[base + s]) * ac + bc);
          } else {
            const float* ap = a.data() + ch * spatial;
            const float* bp = b.data() + ch * spatial;
            for (int64_t s = 0; s < spatial; ++s)
              yp[base + s] = static_cast<T>(static_cast<float>(xp[base + s]) * ap[s] + bp[s]);
          }
        }
      }
    });
  }

 private:
  // Per-channel mean and (population) variance over the batch and spatial dims.
  static Status BatchStatistics(const Tensor& x, int64_t n, int64_t c, int64_t spatial, std::vector<double>& mean,
                                std::vector<double>& var) {
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x.data<T>();
      const double count = static_cast<double>(n * spatial);
      for (int64_t ch = 0; ch < c; ++ch) {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) {
          const T* row = xp + (i * c + ch) * spatial;
          for (int64_t s = 0; s < spatial; ++s) sum += static_cast<double>(static_cast<float>(row[s]));
        }
        const double m = sum / count;
        double sq = 0;
        for (int64_t i = 0; i < n; ++i) {
          const T* row = xp + (i * c + ch) * spatial;
          for (int64_t s = 0; s < spatial; ++s) {
            const double d = static_cast<double>(static_cast<float>(row[s])) - m;
            sq += d * d;
          }
        }
        mean[static_cast<size_t>(ch)] = m;
        var[static_cast<size_t>(ch)] = sq / count;
      }
    });
  }

  float epsilon_;
  float momentum_;
  bool spatial_;
  bool training_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeBatchNormalization(const KernelInit& init) {
  return MakeKernel<BatchNormKernel>(init);
}

}  // namespace kiln::cpu
