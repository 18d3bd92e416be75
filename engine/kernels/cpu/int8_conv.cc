// kiln::Int8Conv: a 2-D convolution on uint8/int8 activations and int8
// weights, run by oneDNN's int8 convolution (AVX-512 VNNI where present):
// int32 accumulation, int32 bias, per-output-channel requantization to
// uint8/int8 (or dequantization to float), optional fused Relu. Produced by
// passes/qdq_fusion.h from QDQ Conv patterns; see int8_params.h for inputs.
// Attributes x_channels_last / y_channels_last (set by
// passes/int8_channels_last.h) say that the input / quantized output is
// stored channels-last (NHWC in memory, the shape stays NCHW); oneDNN's int8
// convolutions use that layout directly, so such edges need no reorder.
// With a residual (inputs 9-11, passes/int8_residual_fusion.h) the sum is
// oneDNN's sum post-op over the destination: the residual's buffer may
// become the output's (InPlaceInput), else it is copied there first.
//
// Weights are reordered into oneDNN's preferred layout once per primitive
// layout; primitives are cached per input shape. Compute is thread-safe
// (per-call scratchpad and layout buffers).
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <mutex>
#include <optional>

#include "engine/kernels/cpu/dnnl_context.h"
#include "engine/kernels/cpu/dnnl_implementation_choice.h"
#include "engine/kernels/cpu/dnnl_packed_weights.h"
#include "engine/kernels/cpu/dnnl_scratchpad_pool.h"
#include "engine/kernels/cpu/dnnl_primitive_cache.h"
#include "engine/kernels/cpu/int8_params.h"
#include "engine/runtime/kernel_context.h"

namespace kiln::cpu {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dt QuantType(DataType t) { return t == DataType::kInt8 ? dt::s8 : dt::u8; }

struct ConvPlan {
  dnnl::convolution_forward primitive;
  // Layout changes at the edges (Kiln's NCHW <-> oneDNN's choice), built once.
  std::optional<dnnl::reorder> to_src, from_dst;
  // With a residual and a destination layout other than the output's: the
  // residual into the primitive's destination before it runs.
  std::optional<dnnl::reorder> to_dst;
  // *_io: the layouts of the tensors Compute gets; src, dst: the primitive's.
  dnnl::memory::desc src, dst, src_io, dst_io, scratchpad;
  std::shared_ptr<const dnnl::memory> weights;
  Shape dst_shape;
  double flops = 0;
  int threads = 1;  // the primitive was created for, and runs with, this many
};

class Int8ConvKernel : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init) {
    const Tensor* w = init.ConstantInput(3);
    if (w == nullptr || w->rank() != 4) {
      return Status::InvalidArgument(init.node.Describe() + ": expects a constant 4-D int8 weight");
    }
    auto kernel = std::unique_ptr<Int8ConvKernel>(new Int8ConvKernel());
    KILN_ASSIGN_OR_RETURN(kernel->params_, Int8Params::Read(init, w->dim(0)));
    if (kernel->params_.bias) {
      kernel->bias_desc_ = dnnl::memory::desc({kernel->params_.bias->num_elements()}, dt::s32, tag::x);
    }
    const ir::Node& node = init.node;
    kernel->group_ = node.GetInt("group", 1);
    kernel->strides_ = node.GetInts("strides", {1, 1});
    kernel->dilations_ = node.GetInts("dilations", {1, 1});
    kernel->pads_ = node.GetInts("pads", {0, 0, 0, 0});
    kernel->x_channels_last_ = node.GetInt("x_channels_last", 0) != 0;
    kernel->y_channels_last_ = node.GetInt("y_channels_last", 0) != 0;
    if (kernel->y_channels_last_ && !kernel->params_.quantized_output) {
      return Status::InvalidArgument(node.Describe() + ": y_channels_last needs a quantized output");
    }
    if (kernel->group_ < 1 || w->dim(0) % kernel->group_ != 0 || kernel->strides_.size() != 2 ||
        kernel->dilations_.size() != 2 || kernel->pads_.size() != 4) {
      return Status::InvalidArgument(node.Describe() + ": bad group, strides, dilations or pads");
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  // The residual is stored like the output (same shape, type and layout).
  int InPlaceInput() const override { return params_.residual ? static_cast<int>(kInt8ResidualInput) : -1; }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const Tensor& w = *params_.weight;
    if (x.rank() != 4 || x.dim(1) != w.dim(1) * group_ || (x.dtype() != DataType::kUInt8 && x.dtype() != DataType::kInt8)) {
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be uint8/int8 [N, " +
                                     std::to_string(w.dim(1) * group_) + ", H, W], got " +
                                     std::string(DataTypeName(x.dtype())) + " " + ShapeToString(x.shape()));
    }
    const int session_threads = DnnlSessionThreads(ctx);
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const ConvPlan> plan,
                          plans_.GetOrBuild(session_threads, x.shape(), [&] { return BuildPlan(x, session_threads); }));
    const int threads = plan->threads;
    Tensor& y = ctx.AllocateOutput(0, params_.quantized_output ? params_.y_type : DataType::kFloat, plan->dst_shape);

    const Tensor* residual = nullptr;
    if (params_.residual) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(kInt8ResidualInput));
      residual = &ctx.input(kInt8ResidualInput);
      if (residual->dtype() != y.dtype() || residual->shape() != y.shape()) {
        return Status::InvalidArgument(ctx.node().Describe() + ": the residual must be " +
                                       std::string(DataTypeName(y.dtype())) + " " + ShapeToString(y.shape()) +
                                       ", got " + std::string(DataTypeName(residual->dtype())) + " " +
                                       ShapeToString(residual->shape()));
      }
      // The sum post-op reads the destination: the residual goes there (a
      // reorder below when the primitive's layout differs).
      if (!plan->to_dst && residual->raw_data() != y.raw_data()) {
        std::memcpy(y.raw_data(), residual->raw_data(), y.byte_size());
      }
    }
    const dnnl::memory src_given = DnnlWrap(plan->src_io, x.raw_data());
    const dnnl::memory dst_given = DnnlWrap(plan->dst_io, y.raw_data());
    dnnl::memory src = src_given, dst = dst_given;
    KILN_RETURN_IF_ERROR(DnnlCatch("Int8Conv", [&] {
      if (plan->to_src) src = dnnl::memory(plan->src, DnnlEngine());
      if (plan->from_dst) dst = dnnl::memory(plan->dst, DnnlEngine());
    }));
    KILN_ASSIGN_OR_RETURN(const DnnlScratchpadPool::Lease scratch, scratchpads_.Acquire(plan->scratchpad));
    if (plan->to_src) {
      KILN_RETURN_IF_ERROR(
          DnnlExecute(*plan->to_src, {{DNNL_ARG_FROM, src_given}, {DNNL_ARG_TO, src}}, threads, "Int8Conv"));
    }
    if (plan->to_dst) {
      KILN_RETURN_IF_ERROR(DnnlExecute(*plan->to_dst,
                                       {{DNNL_ARG_FROM, DnnlWrap(plan->dst_io, residual->raw_data())}, {DNNL_ARG_TO, dst}},
                                       threads, "Int8Conv"));
    }
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src},
                                               {DNNL_ARG_WEIGHTS, *plan->weights},
                                               {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, scratch.memory()}};
    if (params_.bias) args.emplace(DNNL_ARG_BIAS, DnnlWrap(bias_desc_, params_.bias->raw_data()));
    KILN_RETURN_IF_ERROR(DnnlExecute(plan->primitive, args, threads, "Int8Conv"));
    if (plan->from_dst) {
      KILN_RETURN_IF_ERROR(
          DnnlExecute(*plan->from_dst, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_given}}, threads, "Int8Conv"));
    }
    return Status::Ok();
  }

 private:
  Int8ConvKernel() = default;

  Result<ConvPlan> BuildPlan(const Tensor& x, int session_threads) const {
    const Tensor& w = *params_.weight;
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3);
    const int64_t oh = (h + pads_[0] + pads_[2] - ((kh - 1) * dilations_[0] + 1)) / strides_[0] + 1;
    const int64_t ow = (wd + pads_[1] + pads_[3] - ((kw - 1) * dilations_[1] + 1)) / strides_[1] + 1;
    if (oh < 1 || ow < 1) return Status::InvalidArgument("Int8Conv: the kernel is larger than the padded input");
    ConvPlan plan;
    plan.dst_shape = {n, m, oh, ow};
    plan.flops = 2.0 * static_cast<double>(n * m * oh * ow) * static_cast<double>(c / group_ * kh * kw);
    plan.threads = DnnlThreadsFor(session_threads, plan.flops, kInt8OpsPerMicrosecond);
    const DnnlThreadScope thread_scope(plan.threads);
    const dt src_type = x.dtype() == DataType::kInt8 ? dt::s8 : dt::u8;
    const dt dst_type = params_.quantized_output ? QuantType(params_.y_type) : dt::f32;
    // The layouts of the tensors Compute gets; channels-last ones are the
    // primitive's own, planar ones are reordered at the edges.
    plan.src_io = dnnl::memory::desc({n, c, h, wd}, src_type, x_channels_last_ ? tag::nhwc : tag::nchw);
    plan.dst_io = dnnl::memory::desc({n, m, oh, ow}, dst_type, y_channels_last_ ? tag::nhwc : tag::nchw);
    const bool grouped = group_ > 1;
    dnnl::memory::dims w_dims = grouped ? dnnl::memory::dims{group_, m / group_, c / group_, kh, kw}
                                        : dnnl::memory::dims{m, c, kh, kw};
    const dnnl::memory::desc w_plain(w_dims, dt::s8, grouped ? tag::goihw : tag::oihw);

    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr.set_output_scales(1 << 1, params_.OutputScales());
    if (params_.x_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {params_.x_zero_point});
    if (params_.quantized_output && params_.y_zero_point != 0) {
      attr.set_zero_points(DNNL_ARG_DST, 0, {params_.y_zero_point});
    }
    attr.set_post_ops(params_.PostOps());
    dnnl::memory::desc weights_desc;
    KILN_RETURN_IF_ERROR(DnnlCatch("Int8Conv", [&] {
      const dnnl::memory::desc src_any =
          x_channels_last_ ? plan.src_io : dnnl::memory::desc({n, c, h, wd}, src_type, tag::any);
      const dnnl::memory::desc dst_any =
          y_channels_last_ ? plan.dst_io : dnnl::memory::desc({n, m, oh, ow}, dst_type, tag::any);
      const dnnl::memory::desc w_any(w_dims, dt::s8, tag::any);
      const dnnl::memory::dims strides{strides_[0], strides_[1]};
      const dnnl::memory::dims dilations{dilations_[0] - 1, dilations_[1] - 1};
      const dnnl::memory::dims pad_l{pads_[0], pads_[1]}, pad_r{pads_[2], pads_[3]};
      auto desc = params_.bias
                      ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::convolution_direct, src_any, w_any,
                                                        bias_desc_, dst_any, strides, dilations, pad_l, pad_r)
                      : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::convolution_direct, src_any, w_any, dst_any,
                                                        strides, dilations, pad_l, pad_r);
      dnnl::convolution_forward::primitive_desc pd(desc, attr, DnnlEngine());
      PreferFastInt8Convolution(pd, plan.flops / 2, (c / group_) * kh * kw, plan.threads);
      plan.src = pd.src_desc();
      plan.dst = pd.dst_desc();
      plan.scratchpad = pd.scratchpad_desc();
      weights_desc = pd.weights_desc();
      plan.primitive = dnnl::convolution_forward(pd);
      if (!(plan.src == plan.src_io)) {
        plan.to_src = dnnl::reorder(dnnl::reorder::primitive_desc(DnnlEngine(), plan.src_io, DnnlEngine(), plan.src));
      }
      if (!(plan.dst == plan.dst_io)) {
        plan.from_dst =
            dnnl::reorder(dnnl::reorder::primitive_desc(DnnlEngine(), plan.dst, DnnlEngine(), plan.dst_io));
        if (params_.residual) {
          plan.to_dst =
              dnnl::reorder(dnnl::reorder::primitive_desc(DnnlEngine(), plan.dst_io, DnnlEngine(), plan.dst));
        }
      }
    }));
    KILN_ASSIGN_OR_RETURN(plan.weights, packed_weights_.Get(w_plain, params_.weight->raw_data(), weights_desc));
    return plan;
  }


  Int8Params params_;
  int64_t group_ = 1;
  std::vector<int64_t> strides_, dilations_, pads_;
  bool x_channels_last_ = false, y_channels_last_ = false;
  dnnl::memory::desc bias_desc_;
  mutable DnnlPrimitiveCache<ConvPlan> plans_;
  DnnlPackedWeights packed_weights_;
  DnnlScratchpadPool scratchpads_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeInt8Conv(const KernelInit& init) {
  return Int8ConvKernel::Create(init);
}

}  // namespace kiln::cpu
