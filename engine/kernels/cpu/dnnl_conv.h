// DnnlConv: a float32 N-d convolution (1-3 spatial dimensions, groups,
// strides, dilations, pads) run by oneDNN, with optional fused post-ops: a
// residual sum (y = conv(x) + bias + residual) and then an activation. Used
// by Conv and kiln::FusedConv; they keep Kiln's own ConvForward for what
// this does not cover (other types and ranks) and call Run only when
// Supports() says so.
//
// Constant weights (initializers) are reordered once into the layout the
// primitive prefers and shared by every shape that wants the same layout.
// Per input shape the primitive and its layouts are built once and cached
// (bounded); once packed, the plain weights may be released, a new layout
// then comes from a packed one. Activations are in Kiln's plain NCHW
// layout, or channels-last (NHWC in memory, shapes still NCHW) where the
// conv_channels_last pass chained convolutions; when oneDNN prefers another
// layout the input, residual and output are reordered inside Run.
//
// Thread-safety: Run may be called from several threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/kernels/cpu/conv_util.h"
#include "engine/kernels/cpu/dnnl_context.h"
#include "engine/kernels/cpu/dnnl_packed_weights.h"
#include "engine/kernels/cpu/dnnl_primitive_cache.h"
#include "engine/kernels/cpu/fused_activation.h"
#include "engine/kernels/cpu/packed_conv_gemm.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {

// Which of a convolution's activation tensors are stored channels-last.
struct DnnlConvLayout {
  bool x_channels_last = false;
  bool y_channels_last = false;
  bool residual_channels_last = false;

  bool any() const { return x_channels_last || y_channels_last || residual_channels_last; }
};

// kWinograd: oneDNN's Winograd algorithm where it has one for the shape
// (3x3, stride 1; set by passes/conv_winograd), else direct.
enum class DnnlConvAlgorithm { kDirect, kWinograd };

class DnnlConv {
 public:
  // `init` gives the constant weights (input 1) when there are any.
  DnnlConv(const KernelInit& init, FusedActivation activation, bool residual_sum, DnnlConvLayout layout = {},
           DnnlConvAlgorithm algorithm = DnnlConvAlgorithm::kDirect);

  // With constant weights and a declared input type, builds the plan for
  // that input shape (unknown dimensions taken as 1) now, at session
  // creation, so the first Run finds its primitive and packed weights ready.
  // Does nothing when that is not possible, or for Winograd with unknown
  // dimensions; errors are left to Run.
  void Prepare(const KernelInit& init, const ConvAttributes& attrs);

  // True when Run handles a convolution of x with these geometry and types.
  static bool Supports(const Tensor& x, const Tensor& w, const ConvGeometry& g);

  // Drops this object's reference to the constant weights' data once they
  // are packed (DnnlPackedWeights::Release); true when it did. Run then
  // never reads the weights' data: the caller may pass weights without
  // storage, and must not run its own convolution on them.
  bool ReleaseConstantWeights();
  bool weights_released() const { return packed_weights_.released(); }

  // y = act(conv(x, w) + bias + residual); bias and residual may be null
  // (residual must be given exactly when constructed with residual_sum).
  // y is allocated by the caller with the output shape.
  Status Run(const KernelContext& ctx, const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
             const Tensor* residual, Tensor& y) const;

 private:
  struct Plan {
    dnnl::convolution_forward primitive;
    // *_io: the layouts of the tensors Run gets; src, weights, dst: the primitive's.
    dnnl::memory::desc src_io, src, weights_plain, weights, dst_io, dst, residual_io, bias;
    std::shared_ptr<const dnnl::memory> packed_weights;  // constant weights in `weights` layout
    // Layout changes at the edges, built once; empty when the layouts already agree.
    std::optional<dnnl::reorder> to_src, residual_to_dst, from_dst;
    // Planar <-> channels-last changes at the edges, done by Kiln's own
    // transpose (channels_last_copy.h) instead of a reorder.
    bool src_to_channels_last = false, dst_to_planar = false;
    double flops = 0;
    int threads = 1;  // the primitive was created for, and runs with, this many
    // Threads of the edge reorders: memory-bound, so one unless the tensors
    // are large enough for a second core's bandwidth to pay for waking it.
    int edge_threads = 1;
    // Set when a convolution on few positions runs PackedConvGemm on
    // the packed weights instead of the primitive (packed_conv_gemm.h).
    std::optional<PackedConvLayout> packed_gemm;
    // With packed_gemm: per tap and output position, where in the input its
    // channels start (floats), -1 in the padding (PackedConvGemm's rows).
    std::vector<int64_t> tap_offsets;
  };

  // Whether a plan for `g` runs oneDNN's Winograd (marked so, and the image large enough).
  bool UsesWinograd(const ConvGeometry& g) const;
  // Whether a plan for `g` may run PackedConvGemm (given oneDNN's weight layout suits it).
  bool RunsPackedGemm(const ConvGeometry& g) const;
  // Creates the primitives for a run with `session_threads` (see DnnlThreadsFor).
  Result<Plan> BuildPlan(const ConvGeometry& g, bool has_bias, int session_threads) const;
  DnnlShapeKey KeyFor(const Shape& x, const Shape& w, bool has_bias) const;
  std::optional<Tensor> constant_weights_;  // shares the initializer's storage; no data once released
  FusedActivation activation_;
  bool residual_sum_;
  DnnlConvLayout layout_;
  DnnlConvAlgorithm algorithm_;
  mutable DnnlPrimitiveCache<Plan> plans_;
  DnnlPackedWeights packed_weights_;
};

}  // namespace kiln::cpu
