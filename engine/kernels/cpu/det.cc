// Det: the determinant of each square matrix in the last two dims of the input,
// by LU decomposition with partial pivoting.
#include <cmath>
#include <utility>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

// Determinant of the m x m row-major matrix in `a` (overwritten with its LU factors).
double Determinant(std::vector<double>& a, int64_t m) {
  double det = 1;
  for (int64_t col = 0; col < m; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < m; ++r) {
      if (std::abs(a[r * m + col]) > std::abs(a[pivot * m + col])) pivot = r;
    }
    if (a[pivot * m + col] == 0) return 0;
    if (pivot != col) {
      for (int64_t k = 0; k < m; ++k) std::swap(a[col * m + k], a[pivot * m + k]);
      det = -det;
    }
    const double p = a[col * m + col];
    det *= p;
    for (int64_t r = col + 1; r < m; ++r) {
      const double f = a[r * m + col] / p;
      if (f == 0) continue;
      for (int64_t k = col + 1; k < m; ++k) a[r * m + k] -= f * a[col * m + k];
    }
  }
  return det;
}

class DetKernel final : public OpKernel {
 public:
  explicit DetKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) {
      return Status::InvalidArgument("input must be [*, M, M], got " + ShapeToString(x.shape()));
    }
    const int64_t m = x.dim(x.rank() - 1);
    const Shape batch_shape(x.shape().begin(), x.shape().end() - 2);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), batch_shape);
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      std::vector<double> a(static_cast<size_t>(m * m));
      for (int64_t b = 0; b < NumElements(batch_shape); ++b) {
        for (int64_t i = 0; i < m * m; ++i)
          a[static_cast<size_t>(i)] = static_cast<double>(static_cast<ComputeType<T>>(xp[b * m * m + i]));
        yp[b] = static_cast<T>(static_cast<ComputeType<T>>(Determinant(a, m)));
      }
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeDet(const KernelInit& init) { return MakeKernel<DetKernel>(init); }

}  // namespace kiln::cpu
