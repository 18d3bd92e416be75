// Unary math: Abs, Neg, Sign, Ceil, Floor, Round, Exp, Log, Sqrt, Reciprocal,
// Erf, the trigonometric and hyperbolic functions and their inverses, and the
// IsInf / IsNaN predicates. float Exp, Erf and Tanh use the vectorized loops
// of vector_math.h.
#include <cmath>
#include <type_traits>

#include "engine/kernels/cpu/unary_elementwise.h"
#include "engine/kernels/cpu/vector_math.h"

namespace kiln::cpu {

Result<std::unique_ptr<OpKernel>> MakeAbs(const KernelInit&) {
  return MakeUnaryKernel<AllNumericTypes>([](auto x) {
    using C = decltype(x);
    if constexpr (std::is_unsigned_v<C>) {
      return x;
    } else if constexpr (std::is_integral_v<C>) {
      return static_cast<C>(x < 0 ? -x : x);
    } else {
      return std::fabs(x);
    }
  });
}

Result<std::unique_ptr<OpKernel>> MakeNeg(const KernelInit&) {
  return MakeUnaryKernel<SignedNumericTypes>([](auto x) { return static_cast<decltype(x)>(-x); });
}

Result<std::unique_ptr<OpKernel>> MakeSign(const KernelInit&) {
  return MakeUnaryKernel<AllNumericTypes>([](auto x) {
    using C = decltype(x);
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(x)) return x;
    }
    return static_cast<C>(static_cast<int>(x > 0) - static_cast<int>(x < 0));
  });
}

Result<std::unique_ptr<OpKernel>> MakeCeil(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::ceil(x); });
}

Result<std::unique_ptr<OpKernel>> MakeFloor(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::floor(x); });
}

// Rounds halves to even (the default floating-point rounding mode).
Result<std::unique_ptr<OpKernel>> MakeRound(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::nearbyint(x); });
}

Result<std::unique_ptr<OpKernel>> MakeExp(const KernelInit&) {
  return MakeUnaryKernelWithFloatLoop<FloatTypes>(&vec::Exp, [](auto x) { return std::exp(x); });
}

Result<std::unique_ptr<OpKernel>> MakeLog(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::log(x); });
}

Result<std::unique_ptr<OpKernel>> MakeSqrt(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::sqrt(x); });
}

Result<std::unique_ptr<OpKernel>> MakeReciprocal(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return static_cast<decltype(x)>(1) / x; });
}

Result<std::unique_ptr<OpKernel>> MakeErf(const KernelInit&) {
  return MakeUnaryKernelWithFloatLoop<FloatTypes>(&vec::Erf, [](auto x) { return std::erf(x); });
}

Result<std::unique_ptr<OpKernel>> MakeSin(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::sin(x); });
}

Result<std::unique_ptr<OpKernel>> MakeCos(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::cos(x); });
}

Result<std::unique_ptr<OpKernel>> MakeTan(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::tan(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAsin(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::asin(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAcos(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::acos(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAtan(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::atan(x); });
}

Result<std::unique_ptr<OpKernel>> MakeSinh(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::sinh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeCosh(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::cosh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeTanh(const KernelInit&) {
  return MakeUnaryKernelWithFloatLoop<FloatTypes>(&vec::Tanh, [](auto x) { return std::tanh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAsinh(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::asinh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAcosh(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::acosh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeAtanh(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes>([](auto x) { return std::atanh(x); });
}

Result<std::unique_ptr<OpKernel>> MakeIsInf(const KernelInit& init) {
  const bool detect_negative = init.node.GetInt("detect_negative", 1) != 0;
  const bool detect_positive = init.node.GetInt("detect_positive", 1) != 0;
  return MakeUnaryKernel<FloatTypes, true>([detect_negative, detect_positive](auto x) {
    return std::isinf(x) && (x > 0 ? detect_positive : detect_negative);
  });
}

Result<std::unique_ptr<OpKernel>> MakeIsNaN(const KernelInit&) {
  return MakeUnaryKernel<FloatTypes, true>([](auto x) { return std::isnan(x); });
}

}  // namespace kiln::cpu
