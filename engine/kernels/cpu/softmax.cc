// Softmax, LogSoftmax, Hardmax: normalise along one axis (opset >= 13) or over the
// input coerced to 2D at `axis` (opset < 13, where each row spans all dims from axis on).
#include <algorithm>
#include <limits>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Normalises `n` elements spaced `stride` apart, from x into y.
template <typename T>
void NormalizeRow(SoftmaxKind kind, const T* x, T* y, int64_t n, int64_t stride) {
  using C = ComputeType<T>;
  if (kind == SoftmaxKind::kHardmax) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i) {
      if (static_cast<C>(x[i * stride]) > static_cast<C>(x[best * stride])) best = i;
    }
    for (int64_t i = 0; i < n; ++i) y[i * stride] = static_cast<T>(static_cast<C>(i == best ? 1 : 0));
    return;
  }
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<C>(x[i * stride]));
  C sum = 0;
  if (kind == SoftmaxKind::kSoftmax) {
    for (int64_t i = 0; i < n; ++i) {
      C e = std::exp(static_cast<C>(x[i * stride]) - m);
      y[i * stride] = static_cast<T>(e);
      sum += e;
    }
    const C inv = C(1) / sum;
    if constexpr (std::is_same_v<T, C>) {
      for (int64_t i = 0; i < n; ++i) y[i * stride] *= inv;
    } else {
      // y holds rounded 16-bit values: recompute from x for full precision.
      for (int64_t i = 0; i < n; ++i) y[i * stride] = static_cast<T>(std::exp(static_cast<C>(x[i * stride]) - m) * inv);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<C>(x[i * stride]) - m);
    const C shift = m + std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i * stride] = static_cast<T>(static_cast<C>(x[i * stride]) - shift);
  }
}

class SoftmaxKernel final : public OpKernel {
 public:
  SoftmaxKernel(const KernelInit& init, SoftmaxKind kind)
      : kind_(kind), coerce_2d_(init.opset < 13), axis_(init.node.GetInt("axis", init.opset < 13 ? 1 : -1)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x.rank()));
    const Shape& shape = x.shape();
    const size_t a = static_cast<size_t>(axis);
    int64_t outer = SizeFromDim(shape, 0, a);
    int64_t n, inner;
    if (x.rank() == 0) {
      outer = n = inner = 1;
    } else if (coerce_2d_) {
      n = SizeFromDim(shape, a, shape.size());
      inner = 1;
    } else {
      n = shape[a];
      inner = SizeFromDim(shape, a + 1, shape.size());
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), shape);
    const SoftmaxKind kind = kind_;
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t base = o * n * inner;
        if (inner == 1) {
          NormalizeRow<T>(kind, xp + base, yp + base, n, 1);
        } else {
          for (int64_t i = 0; i < inner; ++i) NormalizeRow<T>(kind, xp + base + i, yp + base + i, n, inner);
        }
      }
    });
  }

 private:
  SoftmaxKind kind_;
  bool coerce_2d_;
  int64_t axis_;
};

template <SoftmaxKind kKind>
Result<std::unique_ptr<OpKernel>> MakeSoftmaxKind(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new SoftmaxKernel(init, kKind));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSoftmax(const KernelInit& init) {
  return MakeSoftmaxKind<SoftmaxKind::kSoftmax>(init);
}
Result<std::unique_ptr<OpKernel>> MakeLogSoftmax(const KernelInit& init) {
  return MakeSoftmaxKind<SoftmaxKind::kLogSoftmax>(init);
}
Result<std::unique_ptr<OpKernel>> MakeHardmax(const KernelInit& init) {
  return MakeSoftmaxKind<SoftmaxKind::kHardmax>(init);
}

}  // namespace kiln::cpu
