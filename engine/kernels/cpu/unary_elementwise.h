// Elementwise loops and a generic kernel for unary operators: y = f(x) with
// the shape of x. `f` receives ComputeType<T> (float for the 16-bit floats),
// so one generic lambda serves every element type of the operator.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "engine/kernels/cpu/elementwise_chunks.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

// out[i] = op(in[i]) for every element; `out` has as many elements as `in`.
template <typename TIn, typename TOut, typename Op>
void MapElements(const Tensor& in, Tensor& out, Op op) {
  const TIn* x = in.data<TIn>();
  TOut* y = out.data<TOut>();
  const int64_t n = in.num_elements();
  for (int64_t i = 0; i < n; ++i) y[i] = op(x[i]);
}

// A kernel computing Y = f(X) elementwise for the element types in `Types`;
// Y has X's shape, and X's type or bool when kBoolResult (predicates).
template <typename Types, bool kBoolResult, typename F>
class UnaryKernel final : public OpKernel {
 public:
  explicit UnaryKernel(F f) : f_(std::move(f)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor x = ctx.input(0);
    Tensor& y = ctx.AllocateOutput(0, kBoolResult ? DataType::kBool : x.dtype(), x.shape());
    return DispatchType<Types>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      using TO = std::conditional_t<kBoolResult, bool, T>;
      MapElements<T, TO>(x, y, [this](T v) { return static_cast<TO>(f_(static_cast<C>(v))); });
    });
  }

 private:
  F f_;
};

template <typename Types, bool kBoolResult = false, typename F>
Result<std::unique_ptr<OpKernel>> MakeUnaryKernel(F f) {
  return std::unique_ptr<OpKernel>(new UnaryKernel<Types, kBoolResult, F>(std::move(f)));
}

// A vectorized loop over a float array (vector_math.h).
using FloatArrayFn = void (*)(const float* x, float* y, int64_t n);

// Like UnaryKernel, but float tensors run `float_loop`, split over the
// session's threads when large; the other types in `Types` use f.
template <typename Types, typename F>
class UnaryKernelWithFloatLoop final : public OpKernel {
 public:
  UnaryKernelWithFloatLoop(FloatArrayFn float_loop, F f) : float_loop_(float_loop), generic_(std::move(f)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DataType::kFloat) return generic_.Compute(ctx);
    Tensor& y = ctx.AllocateOutput(0, DataType::kFloat, x.shape());
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    ForEachElementChunk(ctx.thread_pool(), x.num_elements(),
                        [&](int64_t begin, int64_t end) { float_loop_(xp + begin, yp + begin, end - begin); });
    return Status::Ok();
  }

 private:
  FloatArrayFn float_loop_;
  UnaryKernel<Types, false, F> generic_;
};

template <typename Types, typename F>
Result<std::unique_ptr<OpKernel>> MakeUnaryKernelWithFloatLoop(FloatArrayFn float_loop, F f) {
  return std::unique_ptr<OpKernel>(new UnaryKernelWithFloatLoop<Types, F>(float_loop, std::move(f)));
}

// Float types plus the signed integers: for operators such as Abs, Neg, Sign.
using SignedNumericTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t>;

}  // namespace kiln::cpu
