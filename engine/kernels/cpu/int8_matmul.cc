// kiln::Int8MatMul: x[..., K] (uint8/int8) times a constant int8 weight
// [K, N], run by oneDNN's int8 matmul (AVX-512 VNNI where present): int32
// accumulation and bias, per-column requantization to uint8/int8 (or
// dequantization to float, then an optional float bias), optional fused
// activation (any FusedActivation with a float output). Produced by
// passes/qdq_fusion.h from QDQ MatMul and Gemm patterns (Gemm weights are
// stored transposed to [K, N]) and by passes/dynamic_quant_fusion.h from
// DynamicQuantizeLinear + MatMulInteger (float x, quantized here per run);
// see int8_params.h for inputs.
//
// The weight is reordered into oneDNN's preferred layout once per layout;
// primitives are cached per row count. Compute is thread-safe.
#include <oneapi/dnnl/dnnl.hpp>

#include <mutex>

#include "engine/kernels/cpu/dnnl_context.h"
#include "engine/kernels/cpu/dnnl_packed_weights.h"
#include "engine/kernels/cpu/dnnl_scratchpad_pool.h"
#include "engine/kernels/cpu/dnnl_primitive_cache.h"
#include "engine/kernels/cpu/int8_params.h"
#include "engine/kernels/cpu/quantize_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/kernel_context.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct MatMulPlan {
  dnnl::matmul primitive;
  dnnl::memory::desc src, dst, scratchpad;
  std::shared_ptr<const dnnl::memory> weights;
  double flops = 0;
  int threads = 1;  // the primitive was created for, and runs with, this many
};

class Int8MatMulKernel : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init) {
    const Tensor* w = init.ConstantInput(3);
    if (w == nullptr || w->rank() != 2) {
      return Status::InvalidArgument(init.node.Describe() + ": expects a constant 2-D int8 weight [K, N]");
    }
    auto kernel = std::unique_ptr<Int8MatMulKernel>(new Int8MatMulKernel());
    KILN_ASSIGN_OR_RETURN(kernel->params_, Int8Params::Read(init, w->dim(1)));
    if (kernel->params_.residual) return Status::Unimplemented(init.node.Describe() + ": a residual input");
    if (kernel->params_.bias) {
      kernel->bias_desc_ = dnnl::memory::desc({1, w->dim(1)}, dt::s32, tag::ab);
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const Tensor& w = *params_.weight;
    const int64_t k = w.dim(0), n = w.dim(1);
    const bool x_ok = params_.dynamic_input ? x.dtype() == DataType::kFloat
                                            : x.dtype() == DataType::kUInt8 || x.dtype() == DataType::kInt8;
    if (x.rank() < 1 || x.dim(x.rank() - 1) != k || !x_ok) {
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be " +
                                     (params_.dynamic_input ? "float32" : "uint8/int8") + " [..., " +
                                     std::to_string(k) + "], got " + std::string(DataTypeName(x.dtype())) + " " +
                                     ShapeToString(x.shape()));
    }
    const int64_t m = k == 0 ? 0 : x.num_elements() / k;
    Shape y_shape = x.shape();
    y_shape.back() = n;
    Tensor& y = ctx.AllocateOutput(0, params_.quantized_output ? params_.y_type : DataType::kFloat, y_shape);
    if (m == 0 || n == 0) return Status::Ok();
    const DataType src_type = params_.dynamic_input ? DataType::kUInt8 : x.dtype();
    const int session_threads = DnnlSessionThreads(ctx);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const MatMulPlan> plan,
                          plans_.GetOrBuild(session_threads, {m, src_type == DataType::kInt8 ? 1 : 0},
                                            [&] { return BuildPlan(m, src_type, session_threads); }));
    const int threads = plan->threads;
    KILN_ASSIGN_OR_RETURN(const DnnlScratchpadPool::Lease scratch, scratchpads_.Acquire(plan->scratchpad));
    const void* src = x.raw_data();
    DynamicInput dynamic;
    if (params_.dynamic_input) {
      dynamic = QuantizeDynamically(x.data<float>(), x.num_elements(), ctx.thread_pool());
      src = dynamic.quantized.data();
    }
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, DnnlWrap(plan->src, src)},
                                               {DNNL_ARG_WEIGHTS, *plan->weights},
                                               {DNNL_ARG_DST, DnnlWrap(plan->dst, y.raw_data())},
                                               {DNNL_ARG_SCRATCHPAD, scratch.memory()}};
    if (params_.dynamic_input) {
      args.emplace(DNNL_ARG_ATTR_OUTPUT_SCALES,
                   DnnlWrap(dnnl::memory::desc({n}, dt::f32, tag::a), dynamic.output_scales.data()));
      args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC,
                   DnnlWrap(dnnl::memory::desc({1}, dt::s32, tag::a), &dynamic.zero_point));
    }
    if (params_.bias) args.emplace(DNNL_ARG_BIAS, DnnlWrap(bias_desc_, params_.bias->raw_data()));
    if (params_.float_bias) {
      args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                   DnnlWrap(params_.FloatBiasDesc(), params_.float_bias->raw_data()));
    }
    return DnnlExecute(plan->primitive, args, threads, "Int8MatMul");
  }

 private:
  Int8MatMulKernel() = default;

  // A float input quantized for one run, as DynamicQuantizeLinear does:
  // uint8 over [min(x, 0), max(x, 0)], and the matching output scales.
  struct DynamicInput {
    std::vector<uint8_t> quantized;
    std::vector<float> output_scales;
    int32_t zero_point = 0;
  };

  DynamicInput QuantizeDynamically(const float* x, int64_t count, ThreadPool* pool) const {
    DynamicInput d;
    float lo = 0.0f, hi = 0.0f;
    vec::MinMax(x, count, &lo, &hi);
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    constexpr float kQMax = 255.0f;
    const float scale = (hi - lo) / kQMax;
    d.quantized.resize(static_cast<size_t>(count));
    if (scale > 0.0f) {
      d.zero_point = SaturateRound<uint8_t>(-lo / scale);
      ParallelFor(pool, count, 1 << 16, [&](int64_t begin, int64_t end) {
        vec::Quantize(x + begin, d.quantized.data() + begin, end - begin, scale, d.zero_point, 0, 255);
      });
    } else {
      std::fill(d.quantized.begin(), d.quantized.end(), uint8_t{0});
    }
    d.output_scales.resize(params_.weight_scales.size());
    for (size_t c = 0; c < d.output_scales.size(); ++c) d.output_scales[c] = scale * params_.weight_scales[c];
    return d;
  }

  Result<MatMulPlan> BuildPlan(int64_t m, DataType x_type, int session_threads) const {
    const Tensor& w = *params_.weight;
    const int64_t k = w.dim(0), n = w.dim(1);
    MatMulPlan plan;
    plan.flops = 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
    plan.threads = DnnlThreadsFor(session_threads, plan.flops, kInt8OpsPerMicrosecond);
    const DnnlThreadScope thread_scope(plan.threads);
    const dt src_type = x_type == DataType::kInt8 ? dt::s8 : dt::u8;
    const dt dst_type = params_.quantized_output ? (params_.y_type == DataType::kInt8 ? dt::s8 : dt::u8) : dt::f32;
    plan.src = dnnl::memory::desc({m, k}, src_type, tag::ab);
    plan.dst = dnnl::memory::desc({m, n}, dst_type, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (params_.dynamic_input) {
      // x's scale and zero point change with every run.
      attr.set_output_scales(1 << 1, {DNNL_RUNTIME_F32_VAL});
      attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    } else {
      attr.set_output_scales(1 << 1, params_.OutputScales());
      if (params_.x_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {params_.x_zero_point});
    }
    if (params_.quantized_output && params_.y_zero_point != 0) {
      attr.set_zero_points(DNNL_ARG_DST, 0, {params_.y_zero_point});
    }
    attr.set_post_ops(params_.PostOps());
    dnnl::memory::desc weights_desc;
    KILN_RETURN_IF_ERROR(DnnlCatch("Int8MatMul", [&] {
      const dnnl::memory::desc w_any({k, n}, dt::s8, tag::any);
      auto desc = params_.bias ? dnnl::matmul::desc(plan.src, w_any, bias_desc_, plan.dst)
                               : dnnl::matmul::desc(plan.src, w_any, plan.dst);
      dnnl::matmul::primitive_desc pd(desc, attr, DnnlEngine());
      plan.scratchpad = pd.scratchpad_desc();
      weights_desc = pd.weights_desc();
      plan.primitive = dnnl::matmul(pd);
    }));
    const dnnl::memory::desc plain({params_.weight->dim(0), params_.weight->dim(1)}, dt::s8, tag::ab);
    KILN_ASSIGN_OR_RETURN(plan.weights, packed_weights_.Get(plain, params_.weight->raw_data(), weights_desc));
    return plan;
  }


  Int8Params params_;
  dnnl::memory::desc bias_desc_;
  mutable DnnlPrimitiveCache<MatMulPlan> plans_;
  DnnlPackedWeights packed_weights_;
  DnnlScratchpadPool scratchpads_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeInt8MatMul(const KernelInit& init) { return Int8MatMulKernel::Create(init); }

}  // namespace kiln::cpu
