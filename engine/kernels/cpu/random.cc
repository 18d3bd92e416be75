// Random number operators: RandomUniform, RandomNormal (shape from an
// attribute), RandomUniformLike, RandomNormalLike (shape of the input),
// Bernoulli (0/1 draws with the input probabilities) and Multinomial
// (class samples from unnormalized log-probabilities). A `seed` attribute
// makes each run draw the same values; without it every thread keeps its own
// randomly seeded generator.
#include <algorithm>
#include <limits>
#include <bit>
#include <optional>
#include <random>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

using Engine = std::mt19937_64;

std::optional<float> ReadSeed(const ir::Node& node) {
  if (!node.HasAttribute("seed")) return std::nullopt;
  return node.GetFloat("seed", 0.0f);
}

// Calls f(engine) with a generator seeded from `seed`, or with this thread's
// auto-seeded generator when there is no seed.
template <typename F>
Status WithEngine(const std::optional<float>& seed, F&& f) {
  if (seed) {
    Engine engine(std::bit_cast<uint32_t>(*seed));
    return f(engine);
  }
  thread_local Engine engine{std::random_device{}()};
  return f(engine);
}

// Reads the optional `dtype` attribute: its value, or `fallback` when absent.
Result<DataType> ReadDtype(const ir::Node& node, DataType fallback) {
  if (!node.HasAttribute("dtype")) return fallback;
  const int64_t code = node.GetInt("dtype", 0);
  if (code == 0 || !IsKnownDataType(static_cast<int32_t>(code))) {
    return Status::InvalidArgument("dtype " + std::to_string(code) + " is not a known data type");
  }
  return static_cast<DataType>(code);
}

enum class Distribution { kUniform, kNormal };

// RandomUniform, RandomNormal and their *Like forms.
class RandomFillKernel final : public OpKernel {
 public:
  RandomFillKernel(Distribution dist, float a, float b, std::optional<float> seed, std::optional<Shape> shape,
                   DataType dtype)
      : dist_(dist), a_(a), b_(b), seed_(seed), shape_(std::move(shape)), dtype_(dtype) {}

  Status Compute(KernelContext& ctx) const override {
    Shape shape;
    DataType dtype = dtype_;
    if (shape_) {
      shape = *shape_;
    } else {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
      shape = ctx.input(0).shape();
      if (dtype == DataType::kUndefined) dtype = ctx.input(0).dtype();
    }
    if (!IsFloatingPoint(dtype)) {
      return Status::InvalidArgument("output data type must be floating point, got " + std::string(DataTypeName(dtype)));
    }
    Tensor& out = ctx.AllocateOutput(0, dtype, shape);
    return DispatchType<FloatTypes>(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      T* y = out.data<T>();
      const int64_t n = out.num_elements();
      return WithEngine(seed_, [&](Engine& engine) {
        if (dist_ == Distribution::kUniform) {
          std::uniform_real_distribution<C> dist(static_cast<C>(a_), static_cast<C>(b_));
          for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(dist(engine));
        } else {
          std::normal_distribution<C> dist(static_cast<C>(a_), static_cast<C>(b_));
          for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(dist(engine));
        }
        return Status::Ok();
      });
    });
  }

 private:
  Distribution dist_;
  float a_, b_;  // low/high or mean/scale
  std::optional<float> seed_;
  std::optional<Shape> shape_;  // nullopt: the shape of input 0
  DataType dtype_;              // kUndefined: the dtype of input 0
};

class BernoulliKernel final : public OpKernel {
 public:
  BernoulliKernel(std::optional<float> seed, DataType dtype) : seed_(seed), dtype_(dtype) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& p = ctx.input(0);
    const DataType out_type = dtype_ == DataType::kUndefined ? p.dtype() : dtype_;
    Tensor& out = ctx.AllocateOutput(0, out_type, p.shape());
    const int64_t n = p.num_elements();
    return DispatchType<FloatTypes>(p.dtype(), [&](auto in_tag) {
      using P = typename decltype(in_tag)::type;
      const P* prob = p.data<P>();
      return DispatchType<NumericAndBoolTypes>(out_type, [&](auto out_tag) {
        using T = typename decltype(out_tag)::type;
        T* y = out.data<T>();
        return WithEngine(seed_, [&](Engine& engine) {
          std::uniform_real_distribution<double> uniform(0.0, 1.0);
          for (int64_t i = 0; i < n; ++i) {
            const bool one = uniform(engine) < static_cast<double>(prob[i]);
            y[i] = static_cast<T>(static_cast<ComputeType<T>>(one ? 1 : 0));
          }
          return Status::Ok();
        });
      });
    });
  }

 private:
  std::optional<float> seed_;
  DataType dtype_;  // kUndefined: the input's dtype
};

class MultinomialKernel final : public OpKernel {
 public:
  MultinomialKernel(std::optional<float> seed, DataType dtype, int64_t sample_size)
      : seed_(seed), dtype_(dtype), sample_size_(sample_size) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& logits = ctx.input(0);
    if (logits.rank() != 2) {
      return Status::InvalidArgument("input must have shape [batch, classes], got " + ShapeToString(logits.shape()));
    }
    const int64_t batch = logits.dim(0);
    const int64_t classes = logits.dim(1);
    if (classes == 0 && batch > 0 && sample_size_ > 0) return Status::InvalidArgument("input has no classes");
    Tensor& out = ctx.AllocateOutput(0, dtype_, {batch, sample_size_});
    return DispatchType<FloatTypes>(logits.dtype(), [&](auto in_tag) {
      using P = typename decltype(in_tag)::type;
      const P* x = logits.data<P>();
      return DispatchType<TypeList<int32_t, int64_t>>(dtype_, [&](auto out_tag) {
        using T = typename decltype(out_tag)::type;
        T* y = out.data<T>();
        return WithEngine(seed_, [&](Engine& engine) {
          std::vector<double> cumulative(static_cast<size_t>(classes));
          for (int64_t b = 0; b < batch; ++b) {
            const P* row = x + b * classes;
            double max_logit = -std::numeric_limits<double>::infinity();
            for (int64_t c = 0; c < classes; ++c) max_logit = std::max(max_logit, static_cast<double>(row[c]));
            double total = 0;
            for (int64_t c = 0; c < classes; ++c) {
              total += std::exp(static_cast<double>(row[c]) - max_logit);
              cumulative[static_cast<size_t>(c)] = total;
            }
            if (!(total > 0) || !std::isfinite(total)) {
              return Status::InvalidArgument("row " + std::to_string(b) + " has no finite log-probabilities");
            }
            std::uniform_real_distribution<double> uniform(0.0, total);
            for (int64_t s = 0; s < sample_size_; ++s) {
              const double u = uniform(engine);
              auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
              const int64_t cls = std::min<int64_t>(it - cumulative.begin(), classes - 1);
              y[b * sample_size_ + s] = static_cast<T>(cls);
            }
          }
          return Status::Ok();
        });
      });
    });
  }

 private:
  std::optional<float> seed_;
  DataType dtype_;
  int64_t sample_size_;
};

Result<std::unique_ptr<OpKernel>> MakeRandomFill(const KernelInit& init, Distribution dist, bool like) {
  const ir::Node& node = init.node;
  const float a = dist == Distribution::kUniform ? node.GetFloat("low", 0.0f) : node.GetFloat("mean", 0.0f);
  const float b = dist == Distribution::kUniform ? node.GetFloat("high", 1.0f) : node.GetFloat("scale", 1.0f);
  if (dist == Distribution::kUniform && !(a <= b)) return Status::InvalidArgument("low must not exceed high");
  if (dist == Distribution::kNormal && !(b > 0)) return Status::InvalidArgument("scale must be positive");
  std::optional<Shape> shape;
  if (!like) {
    if (!node.HasAttribute("shape")) return Status::InvalidArgument("the shape attribute is required");
    shape = node.GetInts("shape");
    for (int64_t d : *shape)
      if (d < 0) return Status::InvalidArgument("shape has a negative dimension");
  }
  KILN_ASSIGN_OR_RETURN(DataType dtype, ReadDtype(node, like ? DataType::kUndefined : DataType::kFloat));
  return std::unique_ptr<OpKernel>(new RandomFillKernel(dist, a, b, ReadSeed(node), std::move(shape), dtype));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeRandomUniform(const KernelInit& init) {
  return MakeRandomFill(init, Distribution::kUniform, /*like=*/false);
}
Result<std::unique_ptr<OpKernel>> MakeRandomNormal(const KernelInit& init) {
  return MakeRandomFill(init, Distribution::kNormal, /*like=*/false);
}
Result<std::unique_ptr<OpKernel>> MakeRandomUniformLike(const KernelInit& init) {
  return MakeRandomFill(init, Distribution::kUniform, /*like=*/true);
}
Result<std::unique_ptr<OpKernel>> MakeRandomNormalLike(const KernelInit& init) {
  return MakeRandomFill(init, Distribution::kNormal, /*like=*/true);
}

Result<std::unique_ptr<OpKernel>> MakeBernoulli(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(DataType dtype, ReadDtype(init.node, DataType::kUndefined));
  return std::unique_ptr<OpKernel>(new BernoulliKernel(ReadSeed(init.node), dtype));
}

Result<std::unique_ptr<OpKernel>> MakeMultinomial(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(DataType dtype, ReadDtype(init.node, DataType::kInt32));
  if (dtype != DataType::kInt32 && dtype != DataType::kInt64) {
    return Status::InvalidArgument("Multinomial output dtype must be int32 or int64");
  }
  const int64_t sample_size = init.node.GetInt("sample_size", 1);
  if (sample_size < 0) return Status::InvalidArgument("sample_size must be non-negative");
  return std::unique_ptr<OpKernel>(new MultinomialKernel(ReadSeed(init.node), dtype, sample_size));
}

}  // namespace kiln::cpu
