// DnnlMatMul: a float32 batched matrix product run by oneDNN, shared by
// MatMul, Gemm, kiln::FusedMatMul and kiln::FusedGemm:
//   Y = activation(alpha * op(A) @ op(B) + bias + beta * C)
// A [batch..., M, K] (or [K, M] transposed, 2-D only), B likewise; batch
// dimensions broadcast NumPy-style. `bias` broadcasts to Y's last two
// dimensions (oneDNN bias), `C` is any tensor already broadcast into Y by
// the caller (accumulated with a sum post-op).
//
// Constant B (an initializer) is reordered once into the layout the
// primitive prefers (a blocked, prepacked layout on AVX-512) and shared by
// every shape wanting that layout; primitives are cached per input shape
// (bounded). Once packed, the plain B may be released (ReleaseConstantB), a
// new layout then comes from the packed one. The caller falls back to Kiln's own GEMM when Supports() is
// false (non-float types).
//
// Thread-safety: Run may be called from several threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/kernels/cpu/dnnl_context.h"
#include "engine/kernels/cpu/dnnl_packed_weights.h"
#include "engine/kernels/cpu/dnnl_primitive_cache.h"
#include "engine/kernels/cpu/fused_activation.h"
#include "engine/kernels/cpu/matmul_util.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {

struct DnnlMatMulOptions {
  bool trans_a = false;  // 2-D A only
  bool trans_b = false;  // 2-D B only
  float alpha = 1.0f;
  FusedActivation activation;
};

class DnnlMatMul {
 public:
  // `b_input` is the index of B among the node's inputs (constant when an initializer).
  DnnlMatMul(const KernelInit& init, int b_input, DnnlMatMulOptions options);

  static bool Supports(const Tensor& a, const Tensor& b);

  // With a constant B, builds the plan for these dimensions (as Run takes
  // them) now, at session creation, so a first Run of that shape finds its
  // primitive and packed B ready. Errors are left to Run.
  void Prepare(const Shape& a_dims, const Shape& b_dims, const Shape& out_dims, bool has_bias, const Shape& bias_dims,
               bool accumulate, float beta);
  bool has_constant_b() const { return constant_b_.has_value(); }

  // Drops this object's reference to the constant B's data once it is
  // packed (DnnlPackedWeights::Release); true when it did. Run then never
  // reads B's data: the caller may pass a B without storage.
  bool ReleaseConstantB();
  bool constant_b_released() const { return packed_b_.released(); }

  // True when alpha != 1 (the product is scaled).
  bool scales_output() const { return options_.alpha != 1.0f; }

  // a_dims / b_dims: A and B as matrices (1-D operands already made 2-D),
  // out_dims: Y's [batch..., M, N]; all of equal rank. `bias` (may be null)
  // has bias_dims of that rank, each 1 or Y's. With `accumulate`, y already
  // holds C (broadcast) and receives beta * C + the product.
  Status Run(const KernelContext& ctx, const Shape& a_dims, const Shape& b_dims, const Shape& out_dims,
             const Tensor& a, const Tensor& b, const Tensor* bias, const Shape& bias_dims, bool accumulate,
             float beta, Tensor& y) const;

 private:
  struct Plan {
    dnnl::matmul primitive;
    dnnl::memory::desc a, b_plain, b, bias, y;
    std::shared_ptr<const dnnl::memory> packed_b;  // constant B in `b` layout
    // A single row times the packed constant B, no sum or scale: Run uses
    // PackedGemv (packed_gemv.h) instead of the primitive.
    bool packed_gemv = false;
    int64_t k = 0, n = 0;
    double flops = 0;
    int threads = 1;  // the primitive was created for, and runs with, this many
  };

  Result<Plan> BuildPlan(const Shape& a_dims, const Shape& b_dims, const Shape& out_dims, bool has_bias,
                         const Shape& bias_dims, bool accumulate, float beta, int session_threads) const;
  static DnnlShapeKey KeyFor(const Shape& a_dims, const Shape& b_dims, bool has_bias, const Shape& bias_dims,
                             bool accumulate);

  std::optional<Tensor> constant_b_;  // shares the initializer's storage; no data once released
  DnnlMatMulOptions options_;
  int prepare_threads_;  // the session's threads, for plans built before the first run
  mutable DnnlPrimitiveCache<Plan> plans_;
  DnnlPackedWeights packed_b_;  // constant B per layout
};

// Prepares `dnnl` (a MatMul / FusedMatMul kernel's, B = input 1) for the
// declared shape of input 0, unknown dimensions taken as 1; with no declared
// shape and a 2-D B, for a single row (B's packed layout is the same).
void PrepareDnnlMatMul(DnnlMatMul& dnnl, const KernelInit& init);

// Prepares `dnnl` (a Gemm / FusedGemm kernel's) likewise.
void PrepareDnnlGemm(DnnlMatMul& dnnl, const KernelInit& init, bool trans_a, bool trans_b, float alpha, float beta);

// NumPy matmul of float tensors a, b (shape `s`) into `out`, plus `bias` (may
// be null; [N], broadcast over the rows), on `dnnl`.
Status RunDnnlMatMul(const DnnlMatMul& dnnl, const KernelContext& ctx, const MatMulShape& s, const Tensor& a,
                     const Tensor& b, const Tensor* bias, Tensor& out);

// ONNX Gemm of float tensors on `dnnl` (built with transA/transB/alpha):
// out [M, N] = alpha * op(a) @ op(b) + beta * c; c (may be null) already
// checked to broadcast to [M, N]; a_dims = {M, K}, b_dims = {K, N}.
Status RunDnnlGemm(const DnnlMatMul& dnnl, const KernelContext& ctx, const Shape& a_dims, const Shape& b_dims,
                   const Tensor& a, const Tensor& b, const Tensor* c, float beta, Tensor& out);

}  // namespace kiln::cpu
