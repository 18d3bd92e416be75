// DFT: discrete Fourier transform (or its inverse) of real or complex
// signals along one axis. STFT: short-time Fourier transform of windowed,
// overlapping frames of a batch of signals. Complex values are a last
// dimension of 2 (real, imaginary); real signals have a last dimension of 1.
#include <complex>
#include <vector>

#include "engine/kernels/cpu/fft.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

using Complex = std::complex<double>;

// A scalar integer input such as dft_length or frame_step.
Result<int64_t> ScalarInt(const KernelContext& ctx, int i, const char* what) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
  const Tensor& t = ctx.input(i);
  if (t.num_elements() != 1 || !IsInteger(t.dtype())) {
    return Status::InvalidArgument(std::string(what) + " must be a single integer, got " +
                                   std::string(DataTypeName(t.dtype())) + " " + ShapeToString(t.shape()));
  }
  return t.GetInt(0);
}

Status CheckComponents(const Tensor& t, const char* what) {
  if (t.rank() < 2 || (t.shape().back() != 1 && t.shape().back() != 2)) {
    return Status::InvalidArgument(std::string(what) + " must end in a dimension of 1 (real) or 2 (complex), got " +
                                   ShapeToString(t.shape()));
  }
  return Status::Ok();
}

class DftKernel final : public OpKernel {
 public:
  explicit DftKernel(const KernelInit& init)
      : axis_(init.node.GetInt("axis", 1)),
        inverse_(init.node.GetInt("inverse", 0) != 0),
        onesided_(init.node.GetInt("onesided", 0) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    KILN_RETURN_IF_ERROR(CheckComponents(x, "input"));
    const int64_t rank = x.rank();
    // The last dimension holds the components, so the signal axes are [0, rank - 2].
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis > rank - 2) {
      return Status::InvalidArgument("axis " + std::to_string(axis_) + " is out of range for input shape " +
                                     ShapeToString(x.shape()));
    }
    int64_t n = x.dim(static_cast<int>(axis));
    if (ctx.has_input(1)) {
      KILN_ASSIGN_OR_RETURN(n, ScalarInt(ctx, 1, "dft_length"));
    }
    if (n < 1) return Status::InvalidArgument("dft_length must be positive, got " + std::to_string(n));

    const int64_t out_len = onesided_ ? n / 2 + 1 : n;
    Shape out_shape = x.shape();
    out_shape[static_cast<size_t>(axis)] = out_len;
    out_shape.back() = 2;
    Tensor& out = ctx.AllocateOutput(0, x.dtype(), out_shape);

    const int64_t in_len = x.dim(static_cast<int>(axis));
    const int64_t components = x.shape().back();
    const int64_t outer = SizeFromDim(x.shape(), 0, static_cast<size_t>(axis));
    const int64_t inner = SizeFromDim(x.shape(), static_cast<size_t>(axis) + 1, static_cast<size_t>(rank) - 1);
    const int64_t copied = std::min(in_len, n);
    const FftPlan plan(n, inverse_);
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = out.data<T>();
      std::vector<Complex> signal(static_cast<size_t>(n)), work;
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* in = src + (o * in_len * inner + i) * components;
          for (int64_t k = 0; k < copied; ++k) {
            const T* v = in + k * inner * components;
            signal[static_cast<size_t>(k)] =
                Complex(static_cast<double>(v[0]), components == 2 ? static_cast<double>(v[1]) : 0.0);
          }
          std::fill(signal.begin() + copied, signal.end(), Complex(0.0, 0.0));
          plan.Transform(signal.data(), work);
          T* res = dst + (o * out_len * inner + i) * 2;
          for (int64_t k = 0; k < out_len; ++k) {
            T* v = res + k * inner * 2;
            v[0] = static_cast<T>(signal[static_cast<size_t>(k)].real());
            v[1] = static_cast<T>(signal[static_cast<size_t>(k)].imag());
          }
        }
      }
    });
  }

 private:
  int64_t axis_;
  bool inverse_;
  bool onesided_;
};

class StftKernel final : public OpKernel {
 public:
  explicit StftKernel(const KernelInit& init) : onesided_(init.node.GetInt("onesided", 1) != 0) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& signal = ctx.input(0);
    KILN_RETURN_IF_ERROR(CheckComponents(signal, "signal"));
    if (signal.rank() != 3) {
      return Status::InvalidArgument("signal must have shape [batch, length, 1 or 2], got " +
                                     ShapeToString(signal.shape()));
    }
    KILN_ASSIGN_OR_RETURN(const int64_t step, ScalarInt(ctx, 1, "frame_step"));
    if (step < 1) return Status::InvalidArgument("frame_step must be positive, got " + std::to_string(step));

    const Tensor* window = nullptr;
    if (ctx.has_input(2)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(2));
      window = &ctx.input(2);
      if (window->rank() != 1) {
        return Status::InvalidArgument("window must have rank 1, got " + ShapeToString(window->shape()));
      }
    }
    int64_t frame_length = window ? window->dim(0) : 0;
    if (ctx.has_input(3)) {
      KILN_ASSIGN_OR_RETURN(frame_length, ScalarInt(ctx, 3, "frame_length"));
      if (window && window->dim(0) != frame_length) {
        return Status::InvalidArgument("window has " + std::to_string(window->dim(0)) +
                                       " elements but frame_length is " + std::to_string(frame_length));
      }
    } else if (!window) {
      return Status::InvalidArgument("STFT needs a window or a frame_length");
    }
    const int64_t batch = signal.dim(0), length = signal.dim(1), components = signal.dim(2);
    if (frame_length < 1 || frame_length > length) {
      return Status::InvalidArgument("frame_length " + std::to_string(frame_length) + " must be in [1, " +
                                     std::to_string(length) + "]");
    }
    const int64_t frames = (length - frame_length) / step + 1;
    const int64_t bins = onesided_ ? frame_length / 2 + 1 : frame_length;

    std::vector<double> weights(static_cast<size_t>(frame_length), 1.0);
    if (window) {
      for (int64_t k = 0; k < frame_length; ++k) weights[static_cast<size_t>(k)] = window->GetDouble(k);
    }
    Tensor& out = ctx.AllocateOutput(0, signal.dtype(), {batch, frames, bins, 2});
    const FftPlan plan(frame_length, false);
    return DispatchType<FloatTypes>(signal.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = signal.data<T>();
      T* dst = out.data<T>();
      std::vector<Complex> frame(static_cast<size_t>(frame_length)), work;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t f = 0; f < frames; ++f) {
          const T* in = src + (b * length + f * step) * components;
          for (int64_t k = 0; k < frame_length; ++k) {
            const double w = weights[static_cast<size_t>(k)];
            const T* v = in + k * components;
            frame[static_cast<size_t>(k)] =
                Complex(w * static_cast<double>(v[0]), components == 2 ? w * static_cast<double>(v[1]) : 0.0);
          }
          plan.Transform(frame.data(), work);
          T* res = dst + (b * frames + f) * bins * 2;
          for (int64_t k = 0; k < bins; ++k) {
            res[2 * k] = static_cast<T>(frame[static_cast<size_t>(k)].real());
            res[2 * k + 1] = static_cast<T>(frame[static_cast<size_t>(k)].imag());
          }
        }
      }
    });
  }

 private:
  bool onesided_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeDft(const KernelInit& init) { return MakeKernel<DftKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeStft(const KernelInit& init) { return MakeKernel<StftKernel>(init); }

}  // namespace kiln::cpu
