#include "engine/kernels/cpu/int8_matmul_integer.h"

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

struct Plan {
  dnnl::matmul primitive;
  dnnl::memory::desc src, dst, scratchpad;
  std::shared_ptr<const dnnl::memory> weights;
  double flops = 0;
  int threads = 1;  // the primitive was created for, and runs with, this many
};

class DnnlMatMulIntegerKernel : public OpKernel {
 public:
  DnnlMatMulIntegerKernel(const Tensor* b, std::unique_ptr<OpKernel> fallback)
      : b_(b), fallback_(std::move(fallback)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& a = ctx.input(0);
    const int64_t k = b_->dim(0), n = b_->dim(1);
    const bool a_fits = (a.dtype() == DataType::kUInt8 || a.dtype() == DataType::kInt8) && a.rank() >= 1 &&
                        a.dim(a.rank() - 1) == k;
    const bool zp_fits = !ctx.has_input(2) || ctx.input(2).num_elements() == 1;
    if (!a_fits || !zp_fits || a.num_elements() == 0 || n == 0) return fallback_->Compute(ctx);
    const int32_t a_zp = ctx.has_input(2) ? static_cast<int32_t>(ctx.input(2).GetInt(0)) : 0;
    const int64_t m = a.num_elements() / k;
    Shape y_shape = a.shape();
    y_shape.back() = n;
    if (a.rank() == 1) y_shape = {n};
    Tensor& y = ctx.AllocateOutput(0, DataType::kInt32, y_shape);
    const int session_threads = DnnlSessionThreads(ctx);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plan> plan,
                          plans_.GetOrBuild(session_threads, {m, a.dtype() == DataType::kInt8 ? 1 : 0},
                                            [&] { return BuildPlan(m, a.dtype(), session_threads); }));
    const int threads = plan->threads;
    int32_t zp_value = a_zp;
    KILN_ASSIGN_OR_RETURN(const DnnlScratchpadPool::Lease scratch, scratchpads_.Acquire(plan->scratchpad));
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, DnnlWrap(plan->src, a.raw_data())},
        {DNNL_ARG_WEIGHTS, *plan->weights},
        {DNNL_ARG_DST, DnnlWrap(plan->dst, y.raw_data())},
        {DNNL_ARG_SCRATCHPAD, scratch.memory()},
        {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, DnnlWrap(dnnl::memory::desc({1}, dt::s32, tag::x), &zp_value)}};
    return DnnlExecute(plan->primitive, args, threads, "MatMulInteger");
  }

 private:
  Result<Plan> BuildPlan(int64_t m, DataType a_type, int session_threads) const {
    const int64_t k = b_->dim(0), n = b_->dim(1);
    Plan plan;
    plan.flops = 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
    plan.threads = DnnlThreadsFor(session_threads, plan.flops, kInt8OpsPerMicrosecond);
    const DnnlThreadScope thread_scope(plan.threads);
    plan.src = dnnl::memory::desc({m, k}, a_type == DataType::kInt8 ? dt::s8 : dt::u8, tag::ab);
    plan.dst = dnnl::memory::desc({m, n}, dt::s32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    dnnl::memory::desc weights_desc;
    KILN_RETURN_IF_ERROR(DnnlCatch("MatMulInteger", [&] {
      dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(plan.src, dnnl::memory::desc({k, n}, dt::s8, tag::any), plan.dst), attr, DnnlEngine());
      plan.scratchpad = pd.scratchpad_desc();
      weights_desc = pd.weights_desc();
      plan.primitive = dnnl::matmul(pd);
    }));
    const dnnl::memory::desc plain({k, n}, dt::s8, tag::ab);
    KILN_ASSIGN_OR_RETURN(plan.weights, packed_weights_.Get(plain, b_->raw_data(), weights_desc));
    return plan;
  }

  const Tensor* b_;
  std::unique_ptr<OpKernel> fallback_;
  mutable DnnlPrimitiveCache<Plan> plans_;
  DnnlPackedWeights packed_weights_;
  DnnlScratchpadPool scratchpads_;
};

}  // namespace

std::unique_ptr<OpKernel> MaybeMakeDnnlMatMulInteger(const KernelInit& init, std::unique_ptr<OpKernel> fallback) {
  const Tensor* b = init.ConstantInput(1);
  if (b == nullptr || b->dtype() != DataType::kInt8 || b->rank() != 2) return nullptr;
  if (init.node.inputs.size() > 3 && !init.node.inputs[3].empty()) {
    const Tensor* zp = init.ConstantInput(3);
    if (zp == nullptr || zp->dtype() != DataType::kInt8) return nullptr;
    for (int64_t i = 0; i < zp->num_elements(); ++i)
      if (zp->data<int8_t>()[i] != 0) return nullptr;
  }
  return std::make_unique<DnnlMatMulIntegerKernel>(b, std::move(fallback));
}

}  // namespace kiln::cpu
