// Elementwise activations: Relu, LeakyRelu, Elu, Selu, Celu, Sigmoid,
// HardSigmoid, HardSwish, Softplus, Softsign, ThresholdedRelu and Shrink.
// Attributes are read once here; opset < 6 `consumed_inputs` is ignored.
// float Relu and Sigmoid use the vectorized loops of vector_math.h.
#include <algorithm>
#include <cmath>

#include "engine/kernels/cpu/unary_elementwise.h"
#include "engine/kernels/cpu/vector_math.h"

namespace kiln::cpu {
namespace {

// Logistic function, without overflow for large |x|.
template <typename C>
C Logistic(C x) {
  if (x >= 0) return C(1) / (C(1) + std::exp(-x));
  const C e = std::exp(x);
  return e / (C(1) + e);
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeRelu(const KernelInit&) {
  return MakeUnaryKernelWithFloatLoop<SignedNumericTypes>(&vec::Relu,
                                                         [](auto x) { return x < 0 ? decltype(x)(0) : x; });
}

Result<std::unique_ptr<OpKernel>> MakeLeakyRelu(const KernelInit& init) {
  const float alpha = init.node.GetFloat("alpha", 0.01f);
  return MakeUnaryKernel<FloatTypes>([alpha](auto x) {
    using C = decltype(x);
    return x < 0 ? static_cast<C>(alpha) * x : x;
  });
}

Result<std::unique_ptr<OpKernel>> MakeElu(const KernelInit& init) {
  const float alpha = init.node.GetFloat("alpha", 1.0f);
  return MakeUnaryKernel<FloatTypes>([alpha](auto x) {
    using C = decltype(x);
    return x < 0 ? static_cast<C>(alpha) * std::expm1(x) : x;
  });
}

Result<std::unique_ptr<OpKernel>> MakeSelu(const KernelInit& init) {
  // Opset 1 had rounded defaults.
  const bool legacy = init.opset < 6;
  const float alpha = init.node.GetFloat("alpha", legacy ? 1.6732f : 1.67326319217681884765625f);
  const float gamma = init.node.GetFloat("gamma", legacy ? 1.0507f : 1.05070102214813232421875f);
  return MakeUnaryKernel<FloatTypes>([alpha, gamma](auto x) {
    using C = decltype(x);
    const C a = static_cast<C>(alpha), g = static_cast<C>(gamma);
    return x > 0 ? g * x : g * (a * std::exp(x) - a);
  });
}

Result<std::unique_ptr<OpKernel>> MakeCelu(const KernelInit& init) {
  const float alpha = init.node.GetFloat("alpha", 1.0f);
  if (alpha == 0) return Status::InvalidArgument("Celu alpha must not be 0");
  return MakeUnaryKernel<FloatTypes>([alpha](auto x) {
    using C = decltype(x);
    const C a = static_cast<C>(alpha);
    return std::max(C(0), x) + std::min(C(0), a * std::expm1(x / a));
  });
}

Result<std::unique_ptr<OpKernel>> MakeSigmoid(const KernelInit&) {
  return MakeUnaryKernelWithFloatLoop<FloatTypes>(&vec::Sigmoid, [](auto x) { return Logistic(x); });
}

Result<std::unique_ptr<OpKernel>> MakeHardSigmoid(const KernelInit& init) {
  const float alpha = init.node.GetFloat("alpha", 0.2f);
  const float beta = init.node.GetFloat("beta", 0.5f);
  return MakeUnaryKernel<FloatTypes>([alpha, beta](auto x) {
    using C = decltype(x);
    return std::clamp(static_cast<C>(alpha) * x + static_cast<C>(beta), C(0), C(1));
  });
}

Result<std::unique_ptr<OpKernel>> MakeHardSwish(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) {
    using C = decltype(x);
    return x * std::clamp(x / C(6) + C(0.5), C(0), C(1));
  });
}

// log(1 + exp(x)), without overflow for large x.
Result<std::unique_ptr<OpKernel>> MakeSoftplus(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); });
}

Result<std::unique_ptr<OpKernel>> MakeSoftsign(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) {
    using C = decltype(x);
    return x / (C(1) + std::fabs(x));
  });
}

Result<std::unique_ptr<OpKernel>> MakeThresholdedRelu(const KernelInit& init) {
  const float alpha = init.node.GetFloat("alpha", 1.0f);
  return MakeUnaryKernel<FloatTypes>([alpha](auto x) {
    using C = decltype(x);
    return x > static_cast<C>(alpha) ? x : C(0);
  });
}

// Shrink accepts integer tensors too: compare and shift in double.
Result<std::unique_ptr<OpKernel>> MakeShrink(const KernelInit& init) {
  const double bias = init.node.GetFloat("bias", 0.0f);
  const double lambd = init.node.GetFloat("lambd", 0.5f);
  return MakeUnaryKernel<AllNumericTypes>([bias, lambd](auto x) {
    using C = decltype(x);
    const double v = static_cast<double>(x);
    if (v < -lambd) return static_cast<C>(v + bias);
    if (v > lambd) return static_cast<C>(v - bias);
    return C(0);
  });
}

}  // namespace kiln::cpu
