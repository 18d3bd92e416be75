// kiln::Bf16MatMul: x[..., K] (float32) times a constant float32 weight
// [K, N] computed in bfloat16 by oneDNN (AVX-512 BF16), float32 accumulation,
// optional float32 bias [N] and fused Relu, float32 output. Produced by
// passes/bf16_conversion.h from MatMul and Gemm for `--precision bf16`.
// The weight is packed to bf16 once per layout; primitives are cached per
// row count. Compute is thread-safe.
#include <oneapi/dnnl/dnnl.hpp>

#include <mutex>

#include "engine/kernels/cpu/dnnl_context.h"
#include "engine/kernels/cpu/dnnl_packed_weights.h"
#include "engine/kernels/cpu/dnnl_scratchpad_pool.h"
#include "engine/kernels/cpu/dnnl_primitive_cache.h"
#include "engine/runtime/kernel_context.h"

namespace kiln::cpu {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Bf16MatMulPlan {
  dnnl::matmul primitive;
  dnnl::memory::desc src_f32, src, dst, scratchpad;
  std::shared_ptr<const dnnl::memory> weights;
  double flops = 0;
  int threads = 1;  // the primitive was created for, and runs with, this many
};

class Bf16MatMulKernel : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init) {
    const Tensor* w = init.ConstantInput(1);
    if (w == nullptr || w->rank() != 2 || w->dtype() != DataType::kFloat) {
      return Status::InvalidArgument(init.node.Describe() + ": expects a constant 2-D float32 weight [K, N]");
    }
    auto k = std::unique_ptr<Bf16MatMulKernel>(new Bf16MatMulKernel());
    k->weight_ = w;
    if (init.node.inputs.size() > 2 && !init.node.inputs[2].empty()) {
      k->bias_ = init.ConstantInput(2);
      if (!k->bias_ || k->bias_->dtype() != DataType::kFloat || k->bias_->num_elements() != w->dim(1)) {
        return Status::InvalidArgument(init.node.Describe() + ": the bias must be a constant float32 [N]");
      }
    }
    k->relu_ = init.node.GetString("activation", "") == "Relu";
    return std::unique_ptr<OpKernel>(std::move(k));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const int64_t k = weight_->dim(0), n = weight_->dim(1);
    if (x.rank() < 1 || x.dtype() != DataType::kFloat || x.dim(x.rank() - 1) != k) {
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be float32 [..., " + std::to_string(k) +
                                     "], got " + ShapeToString(x.shape()));
    }
    const int64_t m = k == 0 ? 0 : x.num_elements() / k;
    Shape y_shape = x.shape();
    y_shape.back() = n;
    Tensor& y = ctx.AllocateOutput(0, DataType::kFloat, y_shape);
    if (m == 0 || n == 0) return Status::Ok();
    const int session_threads = DnnlSessionThreads(ctx);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Bf16MatMulPlan> plan,
                          plans_.GetOrBuild(session_threads, {m}, [&] { return BuildPlan(m, session_threads); }));
    const int threads = plan->threads;
    KILN_ASSIGN_OR_RETURN(dnnl::memory src, DnnlReorderToNew(DnnlWrap(plan->src_f32, x.raw_data()), plan->src, threads));
    KILN_ASSIGN_OR_RETURN(const DnnlScratchpadPool::Lease scratch, scratchpads_.Acquire(plan->scratchpad));
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src},
                                               {DNNL_ARG_WEIGHTS, *plan->weights},
                                               {DNNL_ARG_DST, DnnlWrap(plan->dst, y.raw_data())},
                                               {DNNL_ARG_SCRATCHPAD, scratch.memory()}};
    if (bias_) args.emplace(DNNL_ARG_BIAS, DnnlWrap(bias_desc(), bias_->raw_data()));
    return DnnlExecute(plan->primitive, args, threads, "Bf16MatMul");
  }

 private:
  Bf16MatMulKernel() = default;

  dnnl::memory::desc bias_desc() const { return dnnl::memory::desc({1, bias_->num_elements()}, dt::f32, tag::ab); }

  Result<Bf16MatMulPlan> BuildPlan(int64_t m, int session_threads) const {
    const int64_t k = weight_->dim(0), n = weight_->dim(1);
    Bf16MatMulPlan plan;
    plan.flops = 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
    plan.threads = DnnlThreadsFor(session_threads, plan.flops);
    const DnnlThreadScope thread_scope(plan.threads);
    plan.src_f32 = dnnl::memory::desc({m, k}, dt::f32, tag::ab);
    plan.src = dnnl::memory::desc({m, k}, dt::bf16, tag::ab);
    plan.dst = dnnl::memory::desc({m, n}, dt::f32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (relu_) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    dnnl::memory::desc weights_desc;
    KILN_RETURN_IF_ERROR(DnnlCatch("Bf16MatMul", [&] {
      const dnnl::memory::desc w_any({k, n}, dt::bf16, tag::any);
      auto desc = bias_ ? dnnl::matmul::desc(plan.src, w_any, bias_desc(), plan.dst)
                        : dnnl::matmul::desc(plan.src, w_any, plan.dst);
      dnnl::matmul::primitive_desc pd(desc, attr, DnnlEngine());
      plan.scratchpad = pd.scratchpad_desc();
      weights_desc = pd.weights_desc();
      plan.primitive = dnnl::matmul(pd);
    }));
    const dnnl::memory::desc plain({k, n}, dt::f32, tag::ab);
    KILN_ASSIGN_OR_RETURN(plan.weights, packed_weights_.Get(plain, weight_->raw_data(), weights_desc));
    return plan;
  }

  const Tensor* weight_ = nullptr;
  const Tensor* bias_ = nullptr;
  bool relu_ = false;
  mutable DnnlPrimitiveCache<Bf16MatMulPlan> plans_;
  DnnlPackedWeights packed_weights_;
  DnnlScratchpadPool scratchpads_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeBf16MatMul(const KernelInit& init) { return Bf16MatMulKernel::Create(init); }

}  // namespace kiln::cpu
