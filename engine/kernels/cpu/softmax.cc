// Softmax, LogSoftmax, Hardmax: normalise along one axis (opset >= 13) or over the
// input coerced to 2D at `axis` (opset < 13, where each row spans all dims from axis on).
// float Softmax rows use the vectorized loop of vector_math.h.
#include <algorithm>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Normalises each of the `n` contiguous elements of one row, from x into y.
template <typename T>
void NormalizeRow(SoftmaxKind kind, const T* x, T* y, int64_t n) {
  using C = ComputeType<T>;
  if constexpr (std::is_same_v<T, float>) {
    if (kind == SoftmaxKind::kSoftmax) {
      vec::SoftmaxRow(x, nullptr, y, n);
      return;
    }
  }
  if (kind == SoftmaxKind::kHardmax) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i) {
      if (static_cast<C>(x[i]) > static_cast<C>(x[best])) best = i;
    }
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C>(i == best ? 1 : 0));
    return;
  }
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<C>(x[i]));
  C sum = 0;
  if (kind == SoftmaxKind::kSoftmax) {
    if constexpr (std::is_same_v<T, C>) {
      for (int64_t i = 0; i < n; ++i) {
        const C e = std::exp(x[i] - m);
        y[i] = e;
        sum += e;
      }
      const C inv = C(1) / sum;
      for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    } else {
      // y holds 16-bit values: recompute the exponentials rather than rescale rounded ones.
      for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<C>(x[i]) - m);
      const C inv = C(1) / sum;
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(std::exp(static_cast<C>(x[i]) - m) * inv);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<C>(x[i]) - m);
    const C shift = m + std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C>(x[i]) - shift);
  }
}

// Normalises an n x inner block along n (column-wise), with the inner elements contiguous.
// `best` and `acc` are scratch buffers of `inner` elements.
template <typename T>
void NormalizeColumns(SoftmaxKind kind, const T* x, T* y, int64_t n, int64_t inner, std::vector<ComputeType<T>>& best,
                      std::vector<ComputeType<T>>& acc) {
  using C = ComputeType<T>;
  std::fill(best.begin(), best.end(), -std::numeric_limits<C>::infinity());
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < inner; ++i) best[i] = std::max(best[i], static_cast<C>(x[r * inner + i]));
  }
  if (kind == SoftmaxKind::kHardmax) {
    // acc[i]: 1 until the first maximum of column i has been marked.
    std::fill(acc.begin(), acc.end(), C(1));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < inner; ++i) {
        const bool first_max = acc[i] != 0 && static_cast<C>(x[r * inner + i]) == best[i];
        if (first_max) acc[i] = 0;
        y[r * inner + i] = static_cast<T>(static_cast<C>(first_max ? 1 : 0));
      }
    }
    return;
  }
  std::fill(acc.begin(), acc.end(), C(0));
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < inner; ++i) acc[i] += std::exp(static_cast<C>(x[r * inner + i]) - best[i]);
  }
  if (kind == SoftmaxKind::kSoftmax) {
    for (int64_t i = 0; i < inner; ++i) acc[i] = C(1) / acc[i];
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < inner; ++i) {
        y[r * inner + i] = static_cast<T>(std::exp(static_cast<C>(x[r * inner + i]) - best[i]) * acc[i]);
      }
    }
  } else {
    for (int64_t i = 0; i < inner; ++i) acc[i] = best[i] + std::log(acc[i]);
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < inner; ++i) y[r * inner + i] = static_cast<T>(static_cast<C>(x[r * inner + i]) - acc[i]);
    }
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
      if (inner == 1) {
        // Rows are independent: spread them over the session's threads.
        constexpr int64_t kMinTaskElements = int64_t{1} << 14;
        ParallelFor(ctx.thread_pool(), outer, std::max<int64_t>(1, kMinTaskElements / std::max<int64_t>(n, 1)),
                    [&](int64_t first, int64_t last) {
                      for (int64_t o = first; o < last; ++o) NormalizeRow<T>(kind, xp + o * n, yp + o * n, n);
                    });
        return;
      }
      std::vector<ComputeType<T>> best(static_cast<size_t>(inner)), acc(static_cast<size_t>(inner));
      for (int64_t o = 0; o < outer; ++o) {
        NormalizeColumns<T>(kind, xp + o * n * inner, yp + o * n * inner, n, inner, best, acc);
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
