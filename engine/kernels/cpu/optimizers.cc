// Training-domain optimizer steps (ai.onnx.preview.training): Adagrad, Adam
// and Momentum (standard or Nesterov). Each updates n tensors X_i from their
// gradients G_i and per-tensor state (accumulators), given a learning rate R
// and an update count T, and returns the new X_i and new state tensors.
#include <cmath>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class Optimizer { kAdagrad, kAdam, kMomentum, kNesterov };

struct OptimizerParams {
  Optimizer kind = Optimizer::kAdagrad;
  double decay_factor = 0;           // Adagrad
  double epsilon = 0;                // Adagrad, Adam
  double norm_coefficient = 0;       // all
  double norm_coefficient_post = 0;  // Adam
  double alpha = 0;                  // Adam, Momentum
  double beta = 0;                   // Adam, Momentum
};

// Number of per-variable state tensors (besides X and G).
int NumStates(Optimizer kind) { return kind == Optimizer::kAdam ? 2 : 1; }

class OptimizerKernel final : public OpKernel {
 public:
  explicit OptimizerKernel(OptimizerParams p) : p_(p) {}

  Status Compute(KernelContext& ctx) const override {
    const int groups = 2 + NumStates(p_.kind);  // X, G, states...
    if (ctx.num_inputs() < 2 || (ctx.num_inputs() - 2) % groups != 0) {
      return Status::InvalidArgument("expected R, T and " + std::to_string(groups) + " tensors per optimized variable");
    }
    const int n = (ctx.num_inputs() - 2) / groups;
    for (int i = 0; i < ctx.num_inputs(); ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& r = ctx.input(0);
    const Tensor& t = ctx.input(1);
    if (r.num_elements() != 1 || !IsFloatingPoint(r.dtype())) return Status::InvalidArgument("R must be a float scalar");
    if (t.num_elements() != 1 || t.dtype() != DataType::kInt64) return Status::InvalidArgument("T must be an int64 scalar");
    const double rate = r.GetDouble(0);
    const int64_t step = t.GetInt(0);

    for (int v = 0; v < n; ++v) {
      std::vector<const Tensor*> in;  // X, G, states...
      for (int g = 0; g < groups; ++g) in.push_back(&ctx.input(2 + g * n + v));
      const Tensor& x = *in[0];
      for (const Tensor* other : in) {
        if (other->dtype() != x.dtype() || other->shape() != x.shape()) {
          return Status::InvalidArgument("variable " + std::to_string(v) +
                                         ": X, its gradient and its state tensors must have one type and shape");
        }
      }
      // Outputs: X_new for every variable, then each state kind for every variable.
      std::vector<Tensor*> out;
      for (int g = 0; g < groups - 1; ++g) out.push_back(&ctx.AllocateOutput(g * n + v, x.dtype(), x.shape()));
      Status status = DispatchType<TypeList<float, double>>(x.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        Update<T>(rate, step, in, out);
      });
      KILN_RETURN_IF_ERROR(status);
    }
    return Status::Ok();
  }

 private:
  template <typename T>
  void Update(double rate, int64_t step, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) const {
    const int64_t size = in[0]->num_elements();
    const T* x = in[0]->data<T>();
    const T* g = in[1]->data<T>();
    const T* s1 = in[2]->data<T>();
    T* x_new = out[0]->data<T>();
    T* s1_new = out[1]->data<T>();
    const double norm = p_.norm_coefficient;
    switch (p_.kind) {
      case Optimizer::kAdagrad: {
        const double r = rate / (1.0 + static_cast<double>(step) * p_.decay_factor);
        for (int64_t i = 0; i < size; ++i) {
          const double gr = norm * x[i] + g[i];
          const double h = s1[i] + gr * gr;
          s1_new[i] = static_cast<T>(h);
          x_new[i] = static_cast<T>(x[i] - r * gr / (std::sqrt(h) + p_.epsilon));
        }
        break;
      }
      case Optimizer::kAdam: {
        const T* s2 = in[3]->data<T>();
        T* s2_new = out[2]->data<T>();
        const double t = static_cast<double>(step);
        const double r = step > 0 ? rate * std::sqrt(1.0 - std::pow(p_.beta, t)) / (1.0 - std::pow(p_.alpha, t)) : rate;
        for (int64_t i = 0; i < size; ++i) {
          const double gr = norm * x[i] + g[i];
          const double v = p_.alpha * s1[i] + (1.0 - p_.alpha) * gr;
          const double h = p_.beta * s2[i] + (1.0 - p_.beta) * gr * gr;
          s1_new[i] = static_cast<T>(v);
          s2_new[i] = static_cast<T>(h);
          const double updated = x[i] - r * v / (std::sqrt(h) + p_.epsilon);
          x_new[i] = static_cast<T>((1.0 - p_.norm_coefficient_post) * updated);
        }
        break;
      }
      case Optimizer::kMomentum:
      case Optimizer::kNesterov: {
        const double beta = step > 0 ? p_.beta : 1.0;
        const bool nesterov = p_.kind == Optimizer::kNesterov;
        for (int64_t i = 0; i < size; ++i) {
          const double gr = norm * x[i] + g[i];
          const double v = p_.alpha * s1[i] + beta * gr;
          s1_new[i] = static_cast<T>(v);
          x_new[i] = static_cast<T>(x[i] - rate * (nesterov ? gr + p_.alpha * v : v));
        }
        break;
      }
    }
  }

  OptimizerParams p_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAdagrad(const KernelInit& init) {
  const ir::Node& node = init.node;
  OptimizerParams p;
  p.kind = Optimizer::kAdagrad;
  p.decay_factor = node.GetFloat("decay_factor", 0.0f);
  p.epsilon = node.GetFloat("epsilon", 1e-6f);
  p.norm_coefficient = node.GetFloat("norm_coefficient", 0.0f);
  return std::unique_ptr<OpKernel>(new OptimizerKernel(p));
}

Result<std::unique_ptr<OpKernel>> MakeAdam(const KernelInit& init) {
  const ir::Node& node = init.node;
  OptimizerParams p;
  p.kind = Optimizer::kAdam;
  p.alpha = node.GetFloat("alpha", 0.9f);
  p.beta = node.GetFloat("beta", 0.999f);
  p.epsilon = node.GetFloat("epsilon", 1e-6f);
  p.norm_coefficient = node.GetFloat("norm_coefficient", 0.0f);
  p.norm_coefficient_post = node.GetFloat("norm_coefficient_post", 0.0f);
  return std::unique_ptr<OpKernel>(new OptimizerKernel(p));
}

Result<std::unique_ptr<OpKernel>> MakeMomentum(const KernelInit& init) {
  const ir::Node& node = init.node;
  for (const char* required : {"alpha", "beta", "mode", "norm_coefficient"}) {
    if (!node.HasAttribute(required)) {
      return Status::InvalidArgument(std::string("Momentum needs the ") + required + " attribute");
    }
  }
  OptimizerParams p;
  const std::string mode = node.GetString("mode", "");
  if (mode == "standard") p.kind = Optimizer::kMomentum;
  else if (mode == "nesterov") p.kind = Optimizer::kNesterov;
  else return Status::InvalidArgument("mode must be 'standard' or 'nesterov', got '" + mode + "'");
  p.alpha = node.GetFloat("alpha", 0.0f);
  p.beta = node.GetFloat("beta", 0.0f);
  p.norm_coefficient = node.GetFloat("norm_coefficient", 0.0f);
  return std::unique_ptr<OpKernel>(new OptimizerKernel(p));
}

}  // namespace kiln::cpu
