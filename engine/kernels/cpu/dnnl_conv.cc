#include "engine/kernels/cpu/dnnl_conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/kernels/cpu/channels_last_copy.h"

namespace kiln::cpu {
namespace {

using tag = dnnl::memory::format_tag;
constexpr auto kF32 = dnnl::memory::data_type::f32;

// Weights as oneDNN sees them: [M, C/g, K...] or, grouped, [g, M/g, C/g, K...].
Shape WeightsDims(const ConvGeometry& g) {
  Shape dims;
  if (g.group > 1) dims.push_back(g.group);
  dims.push_back(g.out_channels / g.group);
  dims.push_back(g.in_channels / g.group);
  dims.insert(dims.end(), g.kernel.begin(), g.kernel.end());
  return dims;
}

Shape ImageShape(const ConvGeometry& g, int64_t channels, const Shape& spatial) {
  Shape s{g.batch, channels};
  s.insert(s.end(), spatial.begin(), spatial.end());
  return s;
}

// Dense channels-last (N, spatial..., C in memory) descriptor of NC... dims.
dnnl::memory::desc ChannelsLastDesc(const Shape& shape) {
  const size_t rank = shape.size();
  dnnl::memory::dims strides(rank);
  int64_t stride = 1;
  strides[1] = stride;
  stride *= std::max<int64_t>(shape[1], 1);
  for (size_t d = rank; d-- > 2;) {
    strides[d] = stride;
    stride *= std::max<int64_t>(shape[d], 1);
  }
  strides[0] = stride;
  return dnnl::memory::desc(DnnlDims(shape), kF32, strides);
}

dnnl::memory::desc IoDesc(const Shape& shape, bool channels_last) {
  return channels_last ? ChannelsLastDesc(shape) : DnnlPlainDesc(shape, kF32);
}

// Per tap (ky, kx, ...) and output position (n, oy, ox, ...), tap-major:
// the offset in channels-last x (in floats) of that position's input
// channels for that tap (input position = output position * stride -
// pad_begin + tap), -1 where it lies in the padding. Dilations must be 1.
std::vector<int64_t> TapOffsets(const ConvGeometry& g) {
  const size_t rank = g.kernel.size();
  const int64_t positions = g.batch * g.grid_size();
  std::vector<int64_t> offsets(static_cast<size_t>(g.kernel_size() * positions));
  std::vector<int64_t> tap(rank, 0), out(rank, 0);
  for (int64_t t = 0; t < g.kernel_size(); ++t) {
    for (int64_t m = 0; m < positions; ++m) {
      int64_t rest = m % g.grid_size(), offset = 0;
      bool inside = true;
      for (size_t d = rank; d-- > 0;) {  // output coordinates from the last dimension up
        out[d] = rest % g.grid[d];
        rest /= g.grid[d];
      }
      for (size_t d = 0; d < rank; ++d) {
        const int64_t in = out[d] * g.strides[d] - g.pads_begin[d] + tap[d];
        inside = inside && in >= 0 && in < g.image[d];
        offset = offset * g.image[d] + in;
      }
      const int64_t n = m / g.grid_size();
      offsets[static_cast<size_t>(t * positions + m)] = inside ? (n * g.image_size() + offset) * g.in_channels : -1;
    }
    for (size_t d = rank; d-- > 0;) {  // next tap, row-major
      if (++tap[d] < g.kernel[d]) break;
      tap[d] = 0;
    }
  }
  return offsets;
}

// A memory of `desc` holding `plain` data: the plain memory itself when the
// layouts match, else a reordered copy.
Result<dnnl::memory> ToLayout(const dnnl::memory& plain, const dnnl::memory::desc& desc, int threads) {
  if (plain.get_desc() == desc) return plain;
  return DnnlReorderToNew(plain, desc, threads);
}

}  // namespace

DnnlConv::DnnlConv(const KernelInit& init, FusedActivation activation, bool residual_sum, DnnlConvLayout layout,
                   DnnlConvAlgorithm algorithm)
    : activation_(activation),
      residual_sum_(residual_sum),
      layout_(layout),
      algorithm_(algorithm) {
  if (const Tensor* w = init.ConstantInput(1); w != nullptr) constant_weights_ = *w;
}

bool DnnlConv::Supports(const Tensor& x, const Tensor& w, const ConvGeometry& g) {
  if (x.dtype() != DataType::kFloat || w.dtype() != DataType::kFloat) return false;
  if (g.kernel.empty() || g.kernel.size() > 3) return false;
  for (size_t d = 0; d < g.kernel.size(); ++d) {
    if (g.pads_begin[d] < 0 || g.pads_end[d] < 0) return false;
  }
  return x.num_elements() > 0 && w.num_elements() > 0;
}

bool DnnlConv::ReleaseConstantWeights() {
  if (!constant_weights_ || !packed_weights_.Release()) return false;
  constant_weights_ = Tensor::Borrow(constant_weights_->dtype(), constant_weights_->shape(), nullptr, nullptr);
  return true;
}

DnnlShapeKey DnnlConv::KeyFor(const Shape& x, const Shape& w, bool has_bias) const {
  DnnlShapeKey key = x;
  if (!constant_weights_) key.insert(key.end(), w.begin(), w.end());
  key.push_back(has_bias ? 1 : 0);
  return key;
}

void DnnlConv::Prepare(const KernelInit& init, const ConvAttributes& attrs) {
  if (!constant_weights_ || constant_weights_->dtype() != DataType::kFloat || init.node.inputs.empty()) return;
  const ir::TypeInfo* type = init.graph.FindType(init.node.inputs[0]);
  if (type == nullptr || type->elem_type != DataType::kFloat || !type->shape) return;
  Shape x;
  bool dynamic = false;
  for (const ir::Dim& d : *type->shape) {
    x.push_back(d.is_fixed() ? d.value : 1);
    dynamic = dynamic || !d.is_fixed();
  }
  auto g = ConvGeometryFor(attrs, x, constant_weights_->shape());
  if (!g.ok() || NumElements(x) == 0) return;
  // oneDNN's Winograd weights depend on the batch (2x3 tiles for small
  // ones, 4x3 for larger) and cannot be reordered back to plain: packing for
  // a guessed batch would keep a copy that other sizes never use. A layer
  // that runs direct at batch 1 packs its direct weights, from which a
  // larger batch's Winograd weights can still be derived.
  if (dynamic && UsesWinograd(*g)) return;
  for (size_t d = 0; d < g->kernel.size(); ++d) {
    if (g->pads_begin[d] < 0 || g->pads_end[d] < 0) return;
  }
  if (g->kernel.empty() || g->kernel.size() > 3 || g->grid_size() == 0) return;
  const bool has_bias = init.node.inputs.size() > 2 && !init.node.inputs[2].empty();
  // A failure here (e.g. an inconsistent declared type) is reported by Run, if it recurs.
  (void)plans_.GetOrBuild(init.threads, KeyFor(x, constant_weights_->shape(), has_bias),
                          [&] { return BuildPlan(*g, has_bias, init.threads); });
}

bool DnnlConv::UsesWinograd(const ConvGeometry& g) const {
  // On small images Winograd's transforms and the reorders to its layouts
  // cost more than the multiplications it saves (resnet50 batch 1, 1 thread,
  // per layer with its reorders: 56x56 and 28x28 faster by 20-30%, 14x14 and
  // 7x7 slower by 5-7%), and its weights take 1.8x the memory: direct below
  // 28x28 output positions per run, batch included.
  constexpr double kMinWinogradPositions = 28 * 28;
  return algorithm_ == DnnlConvAlgorithm::kWinograd &&
         static_cast<double>(g.batch) * static_cast<double>(g.grid_size()) >= kMinWinogradPositions;
}

Result<DnnlConv::Plan> DnnlConv::BuildPlan(const ConvGeometry& g, bool has_bias, int session_threads) const {
  Plan plan;
  const Shape src_shape = ImageShape(g, g.in_channels, g.image);
  const Shape dst_shape = ImageShape(g, g.out_channels, g.grid);
  const Shape weights_shape = WeightsDims(g);
  plan.src_io = IoDesc(src_shape, layout_.x_channels_last);
  plan.dst_io = IoDesc(dst_shape, layout_.y_channels_last);
  plan.residual_io = IoDesc(dst_shape, layout_.residual_channels_last);
  plan.weights_plain = DnnlPlainDesc(weights_shape, kF32);
  plan.bias = has_bias ? DnnlPlainDesc({g.out_channels}, kF32) : dnnl::memory::desc();
  plan.flops = 2.0 * static_cast<double>(g.batch) * static_cast<double>(g.out_channels) *
               static_cast<double>(g.grid_size()) * static_cast<double>(g.in_channels / g.group) *
               static_cast<double>(g.kernel_size());

  const double bytes =
      static_cast<double>(plan.src_io.get_size() + plan.weights_plain.get_size() + plan.dst_io.get_size());
  plan.threads = DnnlThreadsFor(session_threads, plan.flops, kFloatFlopsPerMicrosecond, bytes);
  const DnnlThreadScope thread_scope(plan.threads);

  dnnl::memory::dims strides(g.strides.begin(), g.strides.end());
  dnnl::memory::dims dilations;
  for (int64_t d : g.dilations) dilations.push_back(d - 1);  // oneDNN counts the gaps
  dnnl::memory::dims pad_l(g.pads_begin.begin(), g.pads_begin.end());
  dnnl::memory::dims pad_r(g.pads_end.begin(), g.pads_end.end());

  dnnl::post_ops ops;
  if (residual_sum_) ops.append_sum(1.0f);
  activation_.AppendTo(ops);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);

  // Let oneDNN choose the layouts of plain tensors (reordered at the edges);
  // channels-last tensors are used as they are.
  const dnnl::memory::desc src_any =
      layout_.x_channels_last ? plan.src_io : dnnl::memory::desc(DnnlDims(src_shape), kF32, tag::any);
  const dnnl::memory::desc dst_any =
      layout_.y_channels_last ? plan.dst_io : dnnl::memory::desc(DnnlDims(dst_shape), kF32, tag::any);
  const dnnl::memory::desc weights_any(DnnlDims(weights_shape), kF32, tag::any);
  auto make_desc = [&](dnnl::algorithm algorithm, const dnnl::memory::desc& src, const dnnl::memory::desc& dst) {
    return has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm, src,
                                                      weights_any, plan.bias, dst, strides, dilations, pad_l, pad_r)
                    : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm, src,
                                                      weights_any, dst, strides, dilations, pad_l, pad_r);
  };
  // Winograd needs its own blocked layouts (src and dst reordered at the
  // edges); when oneDNN has no Winograd for this shape the direct one runs.
  std::optional<dnnl::convolution_forward::primitive_desc> winograd;
  if (UsesWinograd(g)) {
    try {
      const dnnl::memory::desc src(DnnlDims(src_shape), kF32, tag::any), dst(DnnlDims(dst_shape), kF32, tag::any);
      winograd.emplace(make_desc(dnnl::algorithm::convolution_winograd, src, dst), attr, DnnlEngine());
    } catch (const dnnl::error&) {
      winograd.reset();
    }
  }
  KILN_RETURN_IF_ERROR(DnnlCatch("Conv", [&] {
    const dnnl::convolution_forward::primitive_desc pd =
        winograd ? *winograd
                 : dnnl::convolution_forward::primitive_desc(
                       make_desc(dnnl::algorithm::convolution_direct, src_any, dst_any), attr, DnnlEngine());
    plan.src = pd.src_desc();
    plan.dst = pd.dst_desc();
    plan.weights = pd.weights_desc();
    plan.primitive = dnnl::convolution_forward(pd);
  }));
  // Layout changes are memory-bound: one thread, which also spares waking
  // another for a fraction of a millisecond of work, unless the tensors are
  // large (batches of images).
  constexpr size_t kMinBytesForThreadedEdges = size_t{4} << 20;
  const size_t edge_bytes = std::max(plan.src_io.get_size(), plan.dst_io.get_size());
  plan.edge_threads = edge_bytes >= kMinBytesForThreadedEdges ? plan.threads : 1;
  KILN_RETURN_IF_ERROR(DnnlCatch("Conv", [&] {
    const DnnlThreadScope edge_scope(plan.edge_threads);
    const dnnl::engine& engine = DnnlEngine();
    auto make = [&](const dnnl::memory::desc& from, const dnnl::memory::desc& to) -> std::optional<dnnl::reorder> {
      if (from == to) return std::nullopt;
      return dnnl::reorder(dnnl::reorder::primitive_desc(engine, from, engine, to));
    };
    // The common edges of a channels-last chain (a planar image entering it,
    // a planar feature map leaving it) are plain transposes.
    plan.src_to_channels_last = plan.src_io == DnnlPlainDesc(src_shape, kF32) && plan.src == ChannelsLastDesc(src_shape);
    plan.dst_to_planar = plan.dst_io == DnnlPlainDesc(dst_shape, kF32) && plan.dst == ChannelsLastDesc(dst_shape);
    if (!plan.src_to_channels_last) plan.to_src = make(plan.src_io, plan.src);
    if (residual_sum_) plan.residual_to_dst = make(plan.residual_io, plan.dst);
    if (!plan.dst_to_planar) plan.from_dst = make(plan.dst, plan.dst_io);
  }));
  if (constant_weights_) {
    KILN_ASSIGN_OR_RETURN(plan.packed_weights,
                          packed_weights_.Get(plan.weights_plain, constant_weights_->raw_data(), plan.weights));
  }
  if (plan.packed_weights && RunsPackedGemm(g)) {
    plan.packed_gemm = PackedConvLayoutOf(plan.weights);
    if (plan.packed_gemm) plan.tap_offsets = TapOffsets(g);
  }
  return plan;
}

bool DnnlConv::RunsPackedGemm(const ConvGeometry& g) const {
  // Where the weights' traffic outweighs the arithmetic: few positions
  // (batch x spatial) and weights larger than a core's L2. resnet50 at
  // batch 1, `kiln bench --profile`, its 7x7 stage (49 positions, 4-9 MiB
  // of weights per layer), 1 thread: the 1x1 2048->512 convolutions take
  // 0.84-0.86 ms instead of 0.95-0.99, the 512->2048 ones with the residual
  // sum 0.74 instead of 0.95-0.97, the strided shortcut 1.51 instead of
  // 1.96; at 2 threads 0.47 instead of 0.51, 0.40 instead of 0.51, 0.82
  // instead of 0.99. At 14x14 (196 positions, 1-2 MiB) it is within a few
  // percent of oneDNN's kernel either way, and mobilenet_v2's 7x7 stage
  // (0.6-1.6 MiB) gains nothing.
  constexpr int64_t kMaxPositions = 64;
  constexpr double kMinWeightBytes = 2.0 * 1024 * 1024;
  const bool channels_last = layout_.x_channels_last && layout_.y_channels_last &&
                             (!residual_sum_ || layout_.residual_channels_last);
  const bool relu_or_none = activation_.kind == FusedActivation::Kind::kNone ||
                            activation_.kind == FusedActivation::Kind::kRelu;
  if (!channels_last || !relu_or_none || g.group != 1 || UsesWinograd(g)) return false;
  for (int64_t d : g.dilations) {
    if (d != 1) return false;  // TapOffsets: undilated taps only
  }
  const double weight_bytes = 4.0 * static_cast<double>(g.in_channels) * static_cast<double>(g.out_channels) *
                              static_cast<double>(g.kernel_size());
  return g.batch * g.grid_size() <= kMaxPositions && weight_bytes >= kMinWeightBytes;
}

Status DnnlConv::Run(const KernelContext& ctx, const ConvGeometry& g, const Tensor& x, const Tensor& w,
                     const Tensor* bias, const Tensor* residual, Tensor& y) const {
  const DnnlShapeKey key = KeyFor(x.shape(), w.shape(), bias != nullptr);
  const int session_threads = DnnlSessionThreads(ctx);
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plan> plan, plans_.GetOrBuild(session_threads, key, [&] {
                          return BuildPlan(g, bias != nullptr, session_threads);
                        }));
  const int threads = plan->threads;

  // A new memory of `desc` (oneDNN's allocator) for a layout change.
  auto scratch = [&](const dnnl::memory::desc& desc, dnnl::memory& out) {
    return DnnlCatch("Conv", [&] { out = dnnl::memory(desc, DnnlEngine()); });
  };
  if (plan->packed_gemm) {
    PackedConvGemm(static_cast<const float*>(x.raw_data()), plan->tap_offsets.data(), g.kernel_size(),
                   g.batch * g.grid_size(), g.in_channels,
                   static_cast<const float*>(plan->packed_weights->get_data_handle()), *plan->packed_gemm,
                   g.out_channels, bias != nullptr ? static_cast<const float*>(bias->raw_data()) : nullptr,
                   residual != nullptr ? static_cast<const float*>(residual->raw_data()) : nullptr,
                   activation_.kind == FusedActivation::Kind::kRelu, static_cast<float*>(y.raw_data()),
                   threads > 1 ? ctx.thread_pool() : nullptr);
    return Status::Ok();
  }
  dnnl::memory src = DnnlWrap(plan->src_io, x.raw_data());
  if (plan->src_to_channels_last) {
    dnnl::memory converted;
    KILN_RETURN_IF_ERROR(scratch(plan->src, converted));
    PlanarToChannelsLast(static_cast<const float*>(x.raw_data()), static_cast<float*>(converted.get_data_handle()),
                         g.batch, g.in_channels, g.image_size(), ctx.thread_pool());
    src = converted;
  } else if (plan->to_src) {
    dnnl::memory converted;
    KILN_RETURN_IF_ERROR(scratch(plan->src, converted));
    KILN_RETURN_IF_ERROR(DnnlExecute(*plan->to_src, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, converted}},
                                     plan->edge_threads, "Conv"));
    src = converted;
  }
  dnnl::memory weights;
  if (plan->packed_weights) {
    weights = *plan->packed_weights;
  } else {
    KILN_ASSIGN_OR_RETURN(weights, ToLayout(DnnlWrap(plan->weights_plain, w.raw_data()), plan->weights, threads));
  }
  const dnnl::memory dst_given = DnnlWrap(plan->dst_io, y.raw_data());
  dnnl::memory dst = dst_given;
  if (plan->from_dst || plan->dst_to_planar) KILN_RETURN_IF_ERROR(scratch(plan->dst, dst));
  if (residual != nullptr) {
    // The sum post-op accumulates into what dst holds: the residual.
    const dnnl::memory residual_given = DnnlWrap(plan->residual_io, residual->raw_data());
    if (plan->residual_to_dst) {
      KILN_RETURN_IF_ERROR(DnnlExecute(*plan->residual_to_dst, {{DNNL_ARG_FROM, residual_given}, {DNNL_ARG_TO, dst}},
                                       plan->edge_threads, "Conv"));
    } else if (residual->raw_data() != dst.get_data_handle()) {
      std::memcpy(dst.get_data_handle(), residual->raw_data(), plan->dst.get_size());
    }
  }

  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, DnnlWrap(plan->bias, bias->raw_data()));
  KILN_RETURN_IF_ERROR(DnnlExecute(plan->primitive, args, threads, "Conv"));
  if (plan->from_dst) {
    KILN_RETURN_IF_ERROR(
        DnnlExecute(*plan->from_dst, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_given}}, plan->edge_threads, "Conv"));
  } else if (plan->dst_to_planar) {
    ChannelsLastToPlanar(static_cast<const float*>(dst.get_data_handle()), static_cast<float*>(y.raw_data()), g.batch,
                         g.out_channels, g.grid_size(), ctx.thread_pool());
  }
  return Status::Ok();
}

}  // namespace kiln::cpu
