// kiln::Bf16Conv: a float32 2-D convolution computed in bfloat16 by oneDNN
// (AVX-512 BF16): the input and the constant weight are rounded to bf16,
// products accumulate in float32, bias and output stay float32, optional
// fused Relu. Produced by passes/bf16_conversion.h for `--precision bf16`.
// Inputs: X, W (constant), B (optional); Conv's attributes (explicit pads).
// Weights are packed once per layout; primitives cached per input shape.
// Compute is thread-safe.
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

struct Bf16ConvPlan {
  dnnl::convolution_forward primitive;
  dnnl::memory::desc src, dst, src_plain, dst_plain, scratchpad;
  std::shared_ptr<const dnnl::memory> weights;
  Shape dst_shape;
  double flops = 0;
  int threads = 1;  // the primitive was created for, and runs with, this many
};

class Bf16ConvKernel : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init) {
    const ir::Node& node = init.node;
    const Tensor* w = init.ConstantInput(1);
    if (w == nullptr || w->rank() != 4 || w->dtype() != DataType::kFloat) {
      return Status::InvalidArgument(node.Describe() + ": expects a constant 4-D float32 weight");
    }
    auto k = std::unique_ptr<Bf16ConvKernel>(new Bf16ConvKernel());
    k->weight_ = w;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      k->bias_ = init.ConstantInput(2);
      if (!k->bias_ || k->bias_->dtype() != DataType::kFloat || k->bias_->num_elements() != w->dim(0)) {
        return Status::InvalidArgument(node.Describe() + ": the bias must be a constant float32 [M]");
      }
    }
    k->group_ = node.GetInt("group", 1);
    k->strides_ = node.GetInts("strides", {1, 1});
    k->dilations_ = node.GetInts("dilations", {1, 1});
    k->pads_ = node.GetInts("pads", {0, 0, 0, 0});
    k->relu_ = node.GetString("activation", "") == "Relu";
    if (k->group_ < 1 || w->dim(0) % k->group_ != 0 || k->strides_.size() != 2 || k->dilations_.size() != 2 ||
        k->pads_.size() != 4) {
      return Status::InvalidArgument(node.Describe() + ": bad group, strides, dilations or pads");
    }
    return std::unique_ptr<OpKernel>(std::move(k));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const Tensor& w = *weight_;
    if (x.rank() != 4 || x.dtype() != DataType::kFloat || x.dim(1) != w.dim(1) * group_) {
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be float32 [N, " +
                                     std::to_string(w.dim(1) * group_) + ", H, W], got " + ShapeToString(x.shape()));
    }
    const int session_threads = DnnlSessionThreads(ctx);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Bf16ConvPlan> plan,
                          plans_.GetOrBuild(session_threads, x.shape(), [&] { return BuildPlan(x, session_threads); }));
    const int threads = plan->threads;
    Tensor& y = ctx.AllocateOutput(0, DataType::kFloat, plan->dst_shape);
    // The reorder rounds the float32 input to bf16 (and changes its layout).
    KILN_ASSIGN_OR_RETURN(dnnl::memory src, DnnlReorderToNew(DnnlWrap(plan->src_plain, x.raw_data()), plan->src, threads));
    const dnnl::memory dst_plain = DnnlWrap(plan->dst_plain, y.raw_data());
    const bool dst_blocked = !(plan->dst == plan->dst_plain);
    dnnl::memory dst = dst_plain;
    KILN_RETURN_IF_ERROR(DnnlCatch("Bf16Conv", [&] {
      if (dst_blocked) dst = dnnl::memory(plan->dst, DnnlEngine());
    }));
    KILN_ASSIGN_OR_RETURN(const DnnlScratchpadPool::Lease scratch, scratchpads_.Acquire(plan->scratchpad));
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, *plan->weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch.memory()}};
    if (bias_) args.emplace(DNNL_ARG_BIAS, DnnlWrap(bias_desc(), bias_->raw_data()));
    KILN_RETURN_IF_ERROR(DnnlExecute(plan->primitive, args, threads, "Bf16Conv"));
    if (dst_blocked) {
      dnnl::reorder back;
      KILN_RETURN_IF_ERROR(DnnlCatch("Bf16Conv", [&] { back = dnnl::reorder(dst, dst_plain); }));
      KILN_RETURN_IF_ERROR(DnnlExecute(back, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_plain}}, threads, "Bf16Conv"));
    }
    return Status::Ok();
  }

 private:
  Bf16ConvKernel() = default;

  dnnl::memory::desc bias_desc() const { return dnnl::memory::desc({bias_->num_elements()}, dt::f32, tag::x); }

  Result<Bf16ConvPlan> BuildPlan(const Tensor& x, int session_threads) const {
    const Tensor& w = *weight_;
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3);
    const int64_t oh = (h + pads_[0] + pads_[2] - ((kh - 1) * dilations_[0] + 1)) / strides_[0] + 1;
    const int64_t ow = (wd + pads_[1] + pads_[3] - ((kw - 1) * dilations_[1] + 1)) / strides_[1] + 1;
    if (oh < 1 || ow < 1) return Status::InvalidArgument("Bf16Conv: the kernel is larger than the padded input");
    Bf16ConvPlan plan;
    plan.dst_shape = {n, m, oh, ow};
    plan.flops = 2.0 * static_cast<double>(n * m * oh * ow) * static_cast<double>(c / group_ * kh * kw);
    plan.threads = DnnlThreadsFor(session_threads, plan.flops);
    const DnnlThreadScope thread_scope(plan.threads);
    plan.src_plain = dnnl::memory::desc({n, c, h, wd}, dt::f32, tag::nchw);
    plan.dst_plain = dnnl::memory::desc({n, m, oh, ow}, dt::f32, tag::nchw);
    const bool grouped = group_ > 1;
    dnnl::memory::dims w_dims = grouped ? dnnl::memory::dims{group_, m / group_, c / group_, kh, kw}
                                        : dnnl::memory::dims{m, c, kh, kw};
    const dnnl::memory::desc w_plain(w_dims, dt::f32, grouped ? tag::goihw : tag::oihw);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (relu_) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    dnnl::memory::desc weights_desc;
    KILN_RETURN_IF_ERROR(DnnlCatch("Bf16Conv", [&] {
      const dnnl::memory::desc src_any({n, c, h, wd}, dt::bf16, tag::any);
      const dnnl::memory::desc dst_any({n, m, oh, ow}, dt::f32, tag::any);
      const dnnl::memory::desc w_any(w_dims, dt::bf16, tag::any);
      const dnnl::memory::dims strides{strides_[0], strides_[1]};
      const dnnl::memory::dims dilations{dilations_[0] - 1, dilations_[1] - 1};
      const dnnl::memory::dims pad_l{pads_[0], pads_[1]}, pad_r{pads_[2], pads_[3]};
      auto desc = bias_ ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                          dnnl::algorithm::convolution_direct, src_any, w_any,
                                                          bias_desc(), dst_any, strides, dilations, pad_l, pad_r)
                        : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                          dnnl::algorithm::convolution_direct, src_any, w_any, dst_any,
                                                          strides, dilations, pad_l, pad_r);
      dnnl::convolution_forward::primitive_desc pd(desc, attr, DnnlEngine());
      plan.src = pd.src_desc();
      plan.dst = pd.dst_desc();
      plan.scratchpad = pd.scratchpad_desc();
      weights_desc = pd.weights_desc();
      plan.primitive = dnnl::convolution_forward(pd);
    }));
    KILN_ASSIGN_OR_RETURN(plan.weights, packed_weights_.Get(w_plain, w.raw_data(), weights_desc));
    return plan;
  }

  const Tensor* weight_ = nullptr;
  const Tensor* bias_ = nullptr;
  int64_t group_ = 1;
  std::vector<int64_t> strides_, dilations_, pads_;
  bool relu_ = false;
  mutable DnnlPrimitiveCache<Bf16ConvPlan> plans_;
  DnnlPackedWeights packed_weights_;
  DnnlScratchpadPool scratchpads_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeBf16Conv(const KernelInit& init) { return Bf16ConvKernel::Create(init); }

}  // namespace kiln::cpu
