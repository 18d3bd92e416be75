// kiln::Int8Add: y_q = saturate(round(act(a_s*(a_q - a_zp) + b_s*(b_q - b_zp)) / y_s) + y_zp)
// for uint8/int8 a, b and y (NumPy broadcasting), act = identity or Relu.
// Produced by passes/qdq_fusion.h from DequantizeLinear -> Add [-> Relu] ->
// QuantizeLinear (residual connections), so int8 tensors stay int8.
// Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale,
// y_zero_point (scales and zero points constant scalars). With attribute
// channels_last (passes/int8_channels_last.h) a, b and y are 4-D tensors
// stored channels-last (NHWC in memory, shapes NCHW); broadcasting then runs
// over the NHWC order. Stateless.
#include <array>
#include <cmath>
#include <limits>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/quantize_util.h"
#include "engine/runtime/kernel_context.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

struct ScalarQ {
  float scale = 1;
  int32_t zero_point = 0;
  DataType type = DataType::kUInt8;
};

Result<ScalarQ> ReadScalarQ(const KernelInit& init, size_t scale_input, size_t zp_input) {
  ScalarQ q;
  const Tensor* s = init.ConstantInput(scale_input);
  if (!s || s->dtype() != DataType::kFloat || s->num_elements() != 1 || !(s->data<float>()[0] > 0)) {
    return Status::InvalidArgument(init.node.Describe() + ": scales must be constant positive float32 scalars");
  }
  q.scale = s->data<float>()[0];
  const Tensor* zp = init.ConstantInput(zp_input);
  if (!zp || zp->num_elements() != 1 || (zp->dtype() != DataType::kUInt8 && zp->dtype() != DataType::kInt8)) {
    return Status::InvalidArgument(init.node.Describe() + ": zero points must be constant uint8/int8 scalars");
  }
  q.zero_point = static_cast<int32_t>(zp->GetInt(0));
  q.type = zp->dtype();
  return q;
}

class Int8AddKernel : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init) {
    if (init.node.inputs.size() != 8) return Status::InvalidArgument(init.node.Describe() + ": expects 8 inputs");
    auto k = std::unique_ptr<Int8AddKernel>(new Int8AddKernel());
    KILN_ASSIGN_OR_RETURN(k->a_, ReadScalarQ(init, 1, 2));
    KILN_ASSIGN_OR_RETURN(k->b_, ReadScalarQ(init, 4, 5));
    KILN_ASSIGN_OR_RETURN(k->y_, ReadScalarQ(init, 6, 7));
    const std::string act = init.node.GetString("activation", "");
    if (!act.empty() && act != "Relu") return Status::Unimplemented(init.node.Describe() + ": activation " + act);
    k->relu_ = act == "Relu";
    k->channels_last_ = init.node.GetInt("channels_last", 0) != 0;
    return std::unique_ptr<OpKernel>(std::move(k));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(3));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(3);
    if (a.dtype() != a_.type || b.dtype() != b_.type) {
      return Status::InvalidArgument(ctx.node().Describe() + ": inputs must match their zero points' types");
    }
    KILN_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes({a.shape(), b.shape()}));
    if (channels_last_ && (a.rank() != 4 || b.rank() != 4)) {
      return Status::InvalidArgument(ctx.node().Describe() + ": channels-last inputs must be 4-D, got " +
                                     ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()));
    }
    Tensor& y = ctx.AllocateOutput(0, y_.type, shape);
    return DispatchType<QuantTypes>(y_.type, [&](auto ytag) {
      using Y = typename decltype(ytag)::type;
      return DispatchType<QuantTypes>(a.dtype(), [&](auto atag) {
        using A = typename decltype(atag)::type;
        return DispatchType<QuantTypes>(b.dtype(), [&](auto btag) {
          using B = typename decltype(btag)::type;
          Apply<A, B, Y>(ctx, a, b, y);
        });
      });
    });
  }

 private:
  Int8AddKernel() = default;

  // The requantization in units of the output scale:
  // y = clamp(ka*(a - za) + kb*(b - zb), floor, hi) rounded + zy.
  struct Requant {
    float ka, kb, za, zb, floor, hi;
    int32_t zy;
  };

  // `count` outputs from a[k * sa], b[k * sb]. The constants are passed by
  // value and the pointers do not alias, so the contiguous case vectorizes.
  template <typename A, typename B, typename Y>
  [[gnu::always_inline]] static inline void RunBody(const A* __restrict pa, const B* __restrict pb,
                                                    Y* __restrict py, int64_t sa, int64_t sb, int64_t count,
                                                    const Requant r) {
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: round half to even by addition
    auto one = [r](A a, B b) {
      float v = r.ka * (static_cast<float>(a) - r.za) + r.kb * (static_cast<float>(b) - r.zb);
      v = v >= r.floor ? v : r.floor;
      v = v <= r.hi ? v : r.hi;
      return static_cast<Y>(static_cast<int32_t>((v + kRound) - kRound) + r.zy);
    };
    if (sa == 1 && sb == 1) {
      for (int64_t k = 0; k < count; ++k) py[k] = one(pa[k], pb[k]);
      return;
    }
    for (int64_t k = 0; k < count; ++k) py[k] = one(pa[k * sa], pb[k * sb]);
  }

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  // The same loop compiled for AVX-512 (16 lanes instead of SSE2's 4),
  // without fused multiply-adds so that it rounds exactly like the generic one.
  template <typename A, typename B, typename Y>
  __attribute__((target("avx512f,avx512bw,avx512vl"), optimize("fp-contract=off"))) static void RunAvx512(
      const A* pa, const B* pb, Y* py, int64_t sa, int64_t sb, int64_t count, const Requant r) {
    RunBody<A, B, Y>(pa, pb, py, sa, sb, count, r);
  }
  static bool HasAvx512() {
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                            __builtin_cpu_supports("avx512vl");
    return has;
  }
#endif

  template <typename A, typename B, typename Y>
  static void Run(const A* pa, const B* pb, Y* py, int64_t sa, int64_t sb, int64_t count, const Requant r) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    if (HasAvx512()) return RunAvx512<A, B, Y>(pa, pb, py, sa, sb, count, r);
#endif
    RunBody<A, B, Y>(pa, pb, py, sa, sb, count, r);
  }

  template <typename A, typename B, typename Y>
  void Apply(const KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& y) const {
    Requant r;
    r.ka = a_.scale / y_.scale;
    r.kb = b_.scale / y_.scale;
    r.za = static_cast<float>(a_.zero_point);
    r.zb = static_cast<float>(b_.zero_point);
    const float lo = static_cast<float>(std::numeric_limits<Y>::min() - y_.zero_point);
    r.hi = static_cast<float>(std::numeric_limits<Y>::max() - y_.zero_point);
    r.floor = relu_ ? std::max(lo, 0.0f) : lo;
    r.zy = y_.zero_point;
    const A* pa = a.data<A>();
    const B* pb = b.data<B>();
    Y* py = y.data<Y>();
    if (a.shape() == b.shape()) {
      ParallelFor(ctx.thread_pool(), y.num_elements(), 1 << 16, [&](int64_t begin, int64_t end) {
        Run<A, B, Y>(pa + begin, pb + begin, py + begin, 1, 1, end - begin, r);
      });
      return;
    }
    // Channels-last data broadcasts as the NHWC shapes its memory holds.
    auto memory_order = [&](const Shape& s) { return channels_last_ ? Shape{s[0], s[2], s[3], s[1]} : s; };
    const Shape y_shape = memory_order(y.shape()), a_shape = memory_order(a.shape()), b_shape = memory_order(b.shape());
    ForEachBroadcastRun<2>(y_shape, {&a_shape, &b_shape},
                           [&](int64_t out, const std::array<int64_t, 2>& offsets,
                               const std::array<int64_t, 2>& steps, int64_t count) {
                             Run<A, B, Y>(pa + offsets[0], pb + offsets[1], py + out, steps[0], steps[1], count, r);
                           });
  }

  ScalarQ a_, b_, y_;
  bool relu_ = false;
  bool channels_last_ = false;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeInt8Add(const KernelInit& init) { return Int8AddKernel::Create(init); }

}  // namespace kiln::cpu
