// MatMul: NumPy matmul (batched, broadcast batch dimensions, 1-D operands).
// Gemm: Y = alpha * op(A) * op(B) + beta * C with C broadcast to [M, N].
// kiln::FusedMatMul (internal, from passes/matmul_fusion): MatMul(A, B) plus
// an optional bias input [N], then the FusedActivation of its attributes.
// kiln::FusedGemm: Gemm followed by the FusedActivation.
// float32 runs on oneDNN (DnnlMatMul: constant B prepacked once, activation
// as a post-op); other types on Kiln's GEMM.
#include <array>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/dnnl_matmul.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/matmul_util.h"
#include "engine/kernels/cpu/typed_gemm.h"

namespace kiln::cpu {
namespace {

using MatMulTypes = TypeList<float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>;

Status CheckSameType(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    return Status::InvalidArgument("inputs have different data types: " + std::string(DataTypeName(a.dtype())) +
                                   " and " + std::string(DataTypeName(b.dtype())));
  }
  return Status::Ok();
}

class MatMulKernel final : public OpKernel {
 public:
  MatMulKernel(const KernelInit& init, FusedActivation activation)
      : activation_(activation), dnnl_(init, 1, DnnlMatMulOptions{false, false, 1.0f, activation}) {
    PrepareDnnlMatMul(dnnl_, init);
  }

  bool ReleaseConstantInput(size_t input) override { return input == 1 && dnnl_.ReleaseConstantB(); }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    KILN_RETURN_IF_ERROR(CheckSameType(a, b));

    KILN_ASSIGN_OR_RETURN(MatMulShape shape, MatMulShapeFor(a.shape(), b.shape()));
    const Tensor* bias = ctx.num_inputs() > 2 && ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (bias != nullptr && (bias->dtype() != a.dtype() || bias->num_elements() != shape.n)) {
      return Status::InvalidArgument("FusedMatMul bias must have " + std::to_string(shape.n) +
                                     " elements of the input type, got shape " + ShapeToString(bias->shape()));
    }
    Tensor& out = ctx.AllocateOutput(0, a.dtype(), shape.out);
    if (DnnlMatMul::Supports(a, b)) return RunDnnlMatMul(dnnl_, ctx, shape, a, b, bias, out);
    if (dnnl_.constant_b_released()) return Status::Unimplemented("MatMul of this rank with packed weights");
    if ((bias != nullptr || activation_.active()) && a.dtype() != DataType::kFloat) {
      return Status::Unimplemented("FusedMatMul runs on float tensors only");
    }
    KILN_RETURN_IF_ERROR(DispatchType<MatMulTypes>(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      BatchedMatMul<T>(shape, a.data<T>(), b.data<T>(), out.data<T>(), ctx.thread_pool());
    }));
    if (bias != nullptr) {
      float* po = out.data<float>();
      const float* pb = bias->data<float>();
      for (int64_t i = 0; i < out.num_elements(); ++i) po[i] += pb[i % shape.n];
    }
    if (activation_.active()) activation_.Apply(out.data<float>(), out.num_elements());
    return Status::Ok();
  }

 private:
  FusedActivation activation_;
  DnnlMatMul dnnl_;
};


class GemmKernel final : public OpKernel {
 public:
  GemmKernel(const KernelInit& init, FusedActivation activation)
      : trans_a_(init.node.GetInt("transA", 0) != 0),
        trans_b_(init.node.GetInt("transB", 0) != 0),
        alpha_(init.node.GetFloat("alpha", 1.0f)),
        beta_(init.node.GetFloat("beta", 1.0f)),
        activation_(activation),
        dnnl_(init, 1, DnnlMatMulOptions{trans_a_, trans_b_, alpha_, activation}) {
    PrepareDnnlGemm(dnnl_, init, trans_a_, trans_b_, alpha_, beta_);
  }

  bool ReleaseConstantInput(size_t input) override { return input == 1 && dnnl_.ReleaseConstantB(); }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    KILN_RETURN_IF_ERROR(CheckSameType(a, b));
    if (a.rank() != 2 || b.rank() != 2) {
      return Status::InvalidArgument("Gemm inputs must be 2-D, got " + ShapeToString(a.shape()) + " and " +
                                     ShapeToString(b.shape()));
    }
    const int64_t m = trans_a_ ? a.dim(1) : a.dim(0);
    const int64_t k = trans_a_ ? a.dim(0) : a.dim(1);
    const int64_t kb = trans_b_ ? b.dim(1) : b.dim(0);
    const int64_t n = trans_b_ ? b.dim(0) : b.dim(1);
    if (k != kb) {
      return Status::InvalidArgument("Gemm shapes " + ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()) +
                                     " do not match on the inner dimension");
    }
    const Shape out_shape{m, n};
    const bool has_c = ctx.has_input(2);
    Tensor c;
    if (has_c) {
      c = ctx.input(2);
      KILN_RETURN_IF_ERROR(CheckSameType(a, c));
      // C broadcasts unidirectionally to [M, N].
      if (c.rank() > 2) return Status::InvalidArgument("Gemm C must have rank <= 2, got " + ShapeToString(c.shape()));
      KILN_ASSIGN_OR_RETURN(Shape bc, BroadcastShapes({c.shape(), out_shape}));
      if (bc != out_shape) {
        return Status::InvalidArgument("Gemm C of shape " + ShapeToString(c.shape()) + " does not broadcast to " +
                                       ShapeToString(out_shape));
      }
    }
    Tensor& out = ctx.AllocateOutput(0, a.dtype(), out_shape);
    if (DnnlMatMul::Supports(a, b) && m > 0 && n > 0 && k > 0) {
      return RunDnnlGemm(dnnl_, ctx, {m, k}, {k, n}, a, b, has_c && beta_ != 0.0f ? &c : nullptr, beta_, out);
    }
    if (dnnl_.constant_b_released() && m > 0 && n > 0 && k > 0) {
      return Status::Internal("Gemm weights were released but oneDNN did not run");
    }
    if (activation_.active() && a.dtype() != DataType::kFloat) {
      return Status::Unimplemented("FusedGemm runs on float tensors only");
    }
    KILN_RETURN_IF_ERROR(DispatchType<MatMulTypes>(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      T* po = out.data<T>();
      const bool use_c = has_c && beta_ != 0.0f;
      if (use_c) {
        // Y = C broadcast to [M, N], then Y = alpha * A * B + beta * Y.
        const T* pc = c.data<T>();
        ForEachBroadcastRun<1>(out_shape, {&c.shape()},
                               [&](int64_t o, const std::array<int64_t, 1>& off, const std::array<int64_t, 1>& step,
                                   int64_t count) {
                                 for (int64_t i = 0; i < count; ++i) po[o + i] = pc[off[0] + i * step[0]];
                               });
      }
      if (m == 0 || n == 0) return;
      TypedGemm<T>(trans_a_, trans_b_, m, n, k, static_cast<C>(alpha_), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1),
                   use_c ? static_cast<C>(beta_) : C(0), po, n, ctx.thread_pool());
    }));
    if (activation_.active()) activation_.Apply(out.data<float>(), out.num_elements());
    return Status::Ok();
  }

 private:
  bool trans_a_;
  bool trans_b_;
  float alpha_;
  float beta_;
  FusedActivation activation_;
  DnnlMatMul dnnl_;
};

template <typename K>
Result<std::unique_ptr<OpKernel>> MakeWithActivation(const KernelInit& init) {
  KILN_ASSIGN_OR_RETURN(FusedActivation activation, FusedActivation::FromNode(init.node));
  return std::unique_ptr<OpKernel>(new K(init, activation));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMatMul(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new MatMulKernel(init, FusedActivation{}));
}
Result<std::unique_ptr<OpKernel>> MakeGemm(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new GemmKernel(init, FusedActivation{}));
}
Result<std::unique_ptr<OpKernel>> MakeFusedMatMul(const KernelInit& init) {
  return MakeWithActivation<MatMulKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeFusedGemm(const KernelInit& init) { return MakeWithActivation<GemmKernel>(init); }

}  // namespace kiln::cpu
