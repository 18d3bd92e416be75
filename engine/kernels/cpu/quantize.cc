// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point).
// DequantizeLinear: y = (x - zero_point) * scale. Both per tensor or per axis.
// DynamicQuantizeLinear: uint8 quantization with scale and zero point derived
// from the input's range (which is widened to include 0).
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/quantize_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/kernel_context.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

// The scale (input 1) and zero point (input 2, optional) of
// (De)QuantizeLinear, per tensor or along an axis of x (input 0): element e
// of x uses scales[c] and zero_points[c] with c = Channel(e).
struct QuantParams {
  int64_t count = 1;  // number of (scale, zero point) pairs
  int64_t inner = 1;  // elements of x per step along the axis
  std::vector<float> scales;
  std::vector<int32_t> zero_points;

  size_t Channel(int64_t e) const { return static_cast<size_t>((e / inner) % count); }
};

// Requires inputs 0 and 1 and reads the parameters; `scale_name` and
// `zero_point_name` name inputs 1 and 2 in errors.
Result<QuantParams> ReadQuantParams(const KernelContext& ctx, int64_t axis, const char* scale_name,
                                    const char* zero_point_name) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  QuantParams params;
  if (scale.num_elements() != 1 || scale.rank() > 1) {
    if (scale.rank() != 1) {
      return Status::InvalidArgument("scale must be a scalar or 1-D, got shape " + ShapeToString(scale.shape()));
    }
    KILN_ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(axis, x.rank()));
    if (x.dim(static_cast<int>(ax)) != scale.num_elements()) {
      return Status::InvalidArgument("scale has " + std::to_string(scale.num_elements()) + " elements but axis " +
                                     std::to_string(ax) + " of the input has " +
                                     std::to_string(x.dim(static_cast<int>(ax))));
    }
    params.count = scale.num_elements();
    params.inner = SizeFromDim(x.shape(), static_cast<size_t>(ax) + 1, x.shape().size());
  }
  KILN_ASSIGN_OR_RETURN(params.scales, ReadPerChannel<float>(ctx, 1, params.count, scale_name));
  KILN_ASSIGN_OR_RETURN(params.zero_points, ReadPerChannel<int32_t>(ctx, 2, params.count, zero_point_name));
  return params;
}

// Per-tensor float -> uint8/int8, the hot path of QDQ models, in
// vector_math's vectorized loop (round half to even; NaN saturates to the
// minimum).
template <typename Q>
void QuantizeFloatPerTensor(const float* x, Q* y, int64_t n, float scale, int32_t zero_point, ThreadPool* pool) {
  ParallelFor(pool, n, 1 << 16, [&](int64_t begin, int64_t end) {
    vec::Quantize(x + begin, y + begin, end - begin, scale, zero_point, std::numeric_limits<Q>::min(),
                  std::numeric_limits<Q>::max());
  });
}

template <typename Q>
void DequantizeToFloatPerTensor(const Q* x, float* y, int64_t n, float scale, int32_t zero_point, ThreadPool* pool) {
  ParallelFor(pool, n, 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) y[e] = static_cast<float>(static_cast<int32_t>(x[e]) - zero_point) * scale;
  });
}

class QuantizeLinearKernel final : public OpKernel {
 public:
  explicit QuantizeLinearKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 1)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const QuantParams params, ReadQuantParams(ctx, axis_, "y_scale", "y_zero_point"));
    const Tensor& x = ctx.input(0);
    const DataType out_type = ctx.has_input(2) ? ctx.input(2).dtype() : DataType::kUInt8;
    Tensor& y = ctx.AllocateOutput(0, out_type, x.shape());
    return DispatchType<QuantTypes>(out_type, [&](auto qtag) -> Status {
      using Q = typename decltype(qtag)::type;
      Q* py = y.data<Q>();
      if (params.count == 1 && x.dtype() == DataType::kFloat) {
        QuantizeFloatPerTensor<Q>(x.data<float>(), py, x.num_elements(), params.scales[0], params.zero_points[0],
                                  ctx.thread_pool());
        return Status::Ok();
      }
      return DispatchType<TypeList<float, double, Float16, BFloat16, int32_t>>(x.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* px = x.data<T>();
        const int64_t n = x.num_elements();
        for (int64_t e = 0; e < n; ++e) {
          const size_t c = params.Channel(e);
          py[e] = SaturateRound<Q>(std::nearbyint(static_cast<float>(px[e]) / params.scales[c]) +
                                   static_cast<float>(params.zero_points[c]));
        }
      });
    });
  }

 private:
  int64_t axis_;
};

class DequantizeLinearKernel final : public OpKernel {
 public:
  explicit DequantizeLinearKernel(const KernelInit& init) : axis_(init.node.GetInt("axis", 1)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const QuantParams params, ReadQuantParams(ctx, axis_, "x_scale", "x_zero_point"));
    const Tensor& x = ctx.input(0);
    const DataType out_type = ctx.input(1).dtype();
    Tensor& y = ctx.AllocateOutput(0, out_type, x.shape());
    return DispatchType<TypeList<float, Float16, BFloat16>>(out_type, [&](auto otag) -> Status {
      using O = typename decltype(otag)::type;
      O* py = y.data<O>();
      if constexpr (std::is_same_v<O, float>) {
        if (params.count == 1 && (x.dtype() == DataType::kUInt8 || x.dtype() == DataType::kInt8)) {
          return DispatchType<QuantTypes>(x.dtype(), [&](auto qtag) {
            using Q = typename decltype(qtag)::type;
            DequantizeToFloatPerTensor<Q>(x.data<Q>(), py, x.num_elements(), params.scales[0], params.zero_points[0],
                                          ctx.thread_pool());
          });
        }
      }
      return DispatchType<TypeList<uint8_t, int8_t, int32_t>>(x.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* px = x.data<T>();
        const int64_t n = x.num_elements();
        for (int64_t e = 0; e < n; ++e) {
          const size_t c = params.Channel(e);
          py[e] = static_cast<O>(static_cast<float>(static_cast<int32_t>(px[e]) - params.zero_points[c]) *
                                 params.scales[c]);
        }
      });
    });
  }

 private:
  int64_t axis_;
};

class DynamicQuantizeLinearKernel final : public OpKernel {
 public:
  explicit DynamicQuantizeLinearKernel(const KernelInit&) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DataType::kFloat) {
      return Status::Unimplemented("DynamicQuantizeLinear supports float input, got " +
                                   std::string(DataTypeName(x.dtype())));
    }
    const float* px = x.data<float>();
    const int64_t n = x.num_elements();
    float lo = 0.0f, hi = 0.0f;  // the range always includes 0
    for (int64_t e = 0; e < n; ++e) {
      lo = std::min(lo, px[e]);
      hi = std::max(hi, px[e]);
    }
    constexpr float kQMax = 255.0f;
    const float scale = (hi - lo) / kQMax;
    const uint8_t zero_point = scale > 0.0f ? SaturateRound<uint8_t>(-lo / scale) : uint8_t{0};
    Tensor& y = ctx.AllocateOutput(0, DataType::kUInt8, x.shape());
    uint8_t* py = y.data<uint8_t>();
    for (int64_t e = 0; e < n; ++e) {
      py[e] = scale > 0.0f ? SaturateRound<uint8_t>(std::nearbyint(px[e] / scale) + zero_point) : zero_point;
    }
    if (ctx.wants_output(1)) ctx.AllocateOutput(1, DataType::kFloat, {}).data<float>()[0] = scale;
    if (ctx.wants_output(2)) ctx.AllocateOutput(2, DataType::kUInt8, {}).data<uint8_t>()[0] = zero_point;
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeQuantizeLinear(const KernelInit& init) {
  return MakeKernel<QuantizeLinearKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeDequantizeLinear(const KernelInit& init) {
  return MakeKernel<DequantizeLinearKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeDynamicQuantizeLinear(const KernelInit& init) {
  return MakeKernel<DynamicQuantizeLinearKernel>(init);
}

}  // namespace kiln::cpu
