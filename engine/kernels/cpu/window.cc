// HannWindow, HammingWindow, BlackmanWindow: generate a window of `size`
// points as a sum of cosines, periodic (denominator size) or symmetric
// (denominator size - 1), in the type chosen by output_datatype.
#include <numbers>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"
#include "engine/kernels/cpu/output_datatype.h"

namespace kiln::cpu {
namespace {

// w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
struct CosineSum {
  double a0, a1, a2;
};

class WindowKernel final : public OpKernel {
 public:
  WindowKernel(const KernelInit& init, CosineSum coefficients)
      : coefficients_(coefficients),
        periodic_(init.node.GetInt("periodic", 1) != 0),
        output_type_(static_cast<DataType>(init.node.GetInt("output_datatype", 1))) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& size_in = ctx.input(0);
    if (size_in.num_elements() != 1 || !IsInteger(size_in.dtype())) {
      return Status::InvalidArgument("size must be a single integer, got " +
                                     std::string(DataTypeName(size_in.dtype())) + " " +
                                     ShapeToString(size_in.shape()));
    }
    const int64_t size = size_in.GetInt(0);
    if (size < 0) return Status::InvalidArgument("size must not be negative, got " + std::to_string(size));
    KILN_RETURN_IF_ERROR(CheckOutputShape({size}, output_type_, "window size"));
    const int64_t denominator = periodic_ ? size : size - 1;
    const CosineSum c = coefficients_;
    return DispatchType<AllNumericTypes>(output_type_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = ctx.AllocateOutput(0, output_type_, {size}).template data<T>();
      for (int64_t n = 0; n < size; ++n) {
        // A one-point symmetric window is the constant 1.
        double value = 1.0;
        if (denominator > 0) {
          const double phase = 2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(denominator);
          value = c.a0 - c.a1 * std::cos(phase) + c.a2 * std::cos(2.0 * phase);
        }
        out[n] = static_cast<T>(static_cast<ComputeType<T>>(value));
      }
    });
  }

 private:
  CosineSum coefficients_;
  bool periodic_;
  DataType output_type_;
};

Result<std::unique_ptr<OpKernel>> MakeWindow(const KernelInit& init, CosineSum coefficients) {
  KILN_RETURN_IF_ERROR(CheckNumericOutputType(init.node));
  return std::unique_ptr<OpKernel>(new WindowKernel(init, coefficients));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeHannWindow(const KernelInit& init) {
  return MakeWindow(init, {0.5, 0.5, 0.0});
}
Result<std::unique_ptr<OpKernel>> MakeHammingWindow(const KernelInit& init) {
  return MakeWindow(init, {25.0 / 46.0, 21.0 / 46.0, 0.0});
}
Result<std::unique_ptr<OpKernel>> MakeBlackmanWindow(const KernelInit& init) {
  return MakeWindow(init, {0.42, 0.5, 0.08});
}

}  // namespace kiln::cpu
