#include "engine/kernels/cpu/dnnl_matmul.h"

#include <algorithm>
#include <array>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/packed_gemv.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {
namespace {

constexpr auto kF32 = dnnl::memory::data_type::f32;

// A row-major matrix stack of `dims`, read transposed in its last two
// dimensions when `trans` (2-D only: dims are op(X)'s, storage is X's).
dnnl::memory::desc MatrixDesc(const Shape& dims, bool trans) {
  if (!trans) return DnnlPlainDesc(dims, kF32);
  // dims = {rows, cols} of op(X); X is stored as {cols, rows}.
  return dnnl::memory::desc(DnnlDims(dims), kF32, dnnl::memory::dims{1, dims[0]});
}

}  // namespace

DnnlMatMul::DnnlMatMul(const KernelInit& init, int b_input, DnnlMatMulOptions options)
    : options_(options), prepare_threads_(init.threads) {
  if (const Tensor* b = init.ConstantInput(static_cast<size_t>(b_input)); b != nullptr) constant_b_ = *b;
}

bool DnnlMatMul::Supports(const Tensor& a, const Tensor& b) {
  return a.dtype() == DataType::kFloat && b.dtype() == DataType::kFloat && a.rank() <= DNNL_MAX_NDIMS &&
         b.rank() <= DNNL_MAX_NDIMS;
}

DnnlShapeKey DnnlMatMul::KeyFor(const Shape& a_dims, const Shape& b_dims, bool has_bias, const Shape& bias_dims,
                                bool accumulate) {
  // alpha and beta are attributes of the node: fixed for one kernel, not keyed.
  DnnlShapeKey key = a_dims;
  key.push_back(-1);
  key.insert(key.end(), b_dims.begin(), b_dims.end());
  key.push_back(-1);
  if (has_bias) key.insert(key.end(), bias_dims.begin(), bias_dims.end());
  key.push_back(accumulate ? 1 : 0);
  return key;
}

bool DnnlMatMul::ReleaseConstantB() {
  if (!constant_b_ || !packed_b_.Release()) return false;
  constant_b_ = Tensor::Borrow(constant_b_->dtype(), constant_b_->shape(), nullptr, nullptr);
  return true;
}

void DnnlMatMul::Prepare(const Shape& a_dims, const Shape& b_dims, const Shape& out_dims, bool has_bias,
                         const Shape& bias_dims, bool accumulate, float beta) {
  if (!constant_b_ || constant_b_->dtype() != DataType::kFloat) return;
  if (NumElements(a_dims) == 0 || NumElements(b_dims) == 0 || NumElements(out_dims) == 0) return;
  (void)plans_.GetOrBuild(prepare_threads_, KeyFor(a_dims, b_dims, has_bias, bias_dims, accumulate), [&] {
    return BuildPlan(a_dims, b_dims, out_dims, has_bias, bias_dims, accumulate, beta, prepare_threads_);
  });
}

Result<DnnlMatMul::Plan> DnnlMatMul::BuildPlan(const Shape& a_dims, const Shape& b_dims, const Shape& out_dims,
                                               bool has_bias, const Shape& bias_dims, bool accumulate,
                                               float beta, int session_threads) const {
  Plan plan;
  plan.a = MatrixDesc(a_dims, options_.trans_a);
  plan.b_plain = MatrixDesc(b_dims, options_.trans_b);
  plan.y = DnnlPlainDesc(out_dims, kF32);
  plan.bias = has_bias ? DnnlPlainDesc(bias_dims, kF32) : dnnl::memory::desc();
  const size_t r = out_dims.size();
  plan.flops = 2.0 * static_cast<double>(NumElements(out_dims)) * static_cast<double>(a_dims[r - 1]);
  const double bytes = static_cast<double>(plan.a.get_size() + plan.b_plain.get_size() + plan.y.get_size());
  plan.threads = DnnlThreadsFor(session_threads, plan.flops, kFloatFlopsPerMicrosecond, bytes);
  const DnnlThreadScope thread_scope(plan.threads);

  dnnl::primitive_attr attr;
  if (options_.alpha != 1.0f) attr.set_output_scales(0, {options_.alpha});
  dnnl::post_ops ops;
  if (accumulate) ops.append_sum(beta);
  options_.activation.AppendTo(ops);
  attr.set_post_ops(ops);

  // Constant B: let oneDNN pick its preferred (prepacked) layout.
  const dnnl::memory::desc b_request =
      constant_b_ ? dnnl::memory::desc(DnnlDims(b_dims), kF32, dnnl::memory::format_tag::any) : plan.b_plain;
  KILN_RETURN_IF_ERROR(DnnlCatch("MatMul", [&] {
    dnnl::matmul::desc desc = has_bias ? dnnl::matmul::desc(plan.a, b_request, plan.bias, plan.y)
                                              : dnnl::matmul::desc(plan.a, b_request, plan.y);
    dnnl::matmul::primitive_desc pd(desc, attr, DnnlEngine());
    plan.b = pd.weights_desc();
    plan.primitive = dnnl::matmul(pd);
  }));
  if (constant_b_) {
    KILN_ASSIGN_OR_RETURN(plan.packed_b, packed_b_.Get(plan.b_plain, constant_b_->raw_data(), plan.b));
  }
  // One row (a batch-1 classifier head) times a constant B that oneDNN
  // packed in 64-column blocks: a plain matrix-vector loop streams B better.
  const int64_t rows_of_a = NumElements(out_dims) / std::max<int64_t>(out_dims[r - 1], 1);
  plan.k = a_dims[r - 1];
  plan.n = out_dims[r - 1];
  plan.packed_gemv = plan.packed_b != nullptr && rows_of_a == 1 && b_dims.size() == 2 && !accumulate &&
                     options_.alpha == 1.0f && (!has_bias || NumElements(bias_dims) == plan.n) &&
                     plan.b == dnnl::memory::desc(DnnlDims(b_dims), kF32, dnnl::memory::format_tag::BA16a64b) &&
                     PackedGemvAvailable();
  return plan;
}

Status DnnlMatMul::Run(const KernelContext& ctx, const Shape& a_dims, const Shape& b_dims, const Shape& out_dims,
                       const Tensor& a, const Tensor& b, const Tensor* bias, const Shape& bias_dims, bool accumulate,
                       float beta, Tensor& y) const {
  const bool has_bias = bias != nullptr;
  const int session_threads = DnnlSessionThreads(ctx);
  KILN_ASSIGN_OR_RETURN(
      std::shared_ptr<const Plan> plan,
      plans_.GetOrBuild(session_threads, KeyFor(a_dims, b_dims, has_bias, bias_dims, accumulate), [&] {
        return BuildPlan(a_dims, b_dims, out_dims, has_bias, bias_dims, accumulate, beta, session_threads);
      }));
  const int threads = plan->threads;
  if (plan->packed_gemv) {
    PackedGemv(static_cast<const float*>(a.raw_data()), static_cast<const float*>(plan->packed_b->get_data_handle()),
               bias != nullptr ? static_cast<const float*>(bias->raw_data()) : nullptr, static_cast<float*>(y.raw_data()),
               plan->k, plan->n, threads > 1 ? ctx.thread_pool() : nullptr);
    options_.activation.Apply(static_cast<float*>(y.raw_data()), plan->n);
    return Status::Ok();
  }
  dnnl::memory b_memory;
  if (plan->packed_b) {
    b_memory = *plan->packed_b;
  } else {
    b_memory = DnnlWrap(plan->b_plain, b.raw_data());
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, DnnlWrap(plan->a, a.raw_data())},
                                             {DNNL_ARG_WEIGHTS, b_memory},
                                             {DNNL_ARG_DST, DnnlWrap(plan->y, y.raw_data())}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, DnnlWrap(plan->bias, bias->raw_data()));
  return DnnlExecute(plan->primitive, args, threads, "MatMul");
}

namespace {

// The dimensions DnnlMatMul::Run takes for a NumPy matmul of shape `s`.
struct MatMulDims {
  Shape a, b, out, bias;
};

MatMulDims MatMulDimsFor(const MatMulShape& s, bool has_bias) {
  Shape a_dims, b_dims, out_dims, bias_dims;
  if (s.b_batch.empty() && s.a_batch == s.batch) {
    // One B for every batch: a single product with the batches stacked as rows,
    // so a prepacked B serves every batch size.
    a_dims = {NumElements(s.batch) * s.m, s.k};
    b_dims = {s.k, s.n};
    out_dims = {NumElements(s.batch) * s.m, s.n};
  } else {
    const size_t rank = s.batch.size();
    a_dims.assign(rank - s.a_batch.size(), 1);
    a_dims.insert(a_dims.end(), s.a_batch.begin(), s.a_batch.end());
    a_dims.insert(a_dims.end(), {s.m, s.k});
    b_dims.assign(rank - s.b_batch.size(), 1);
    b_dims.insert(b_dims.end(), s.b_batch.begin(), s.b_batch.end());
    b_dims.insert(b_dims.end(), {s.k, s.n});
    out_dims = s.batch;
    out_dims.insert(out_dims.end(), {s.m, s.n});
  }
  if (has_bias) {
    bias_dims.assign(out_dims.size() - 1, 1);
    bias_dims.push_back(s.n);
  }
  return {a_dims, b_dims, out_dims, bias_dims};
}

// A declared tensor shape with unknown dimensions taken as 1, or nullopt.
std::optional<Shape> RepresentativeShape(const KernelInit& init, size_t input) {
  if (input >= init.node.inputs.size() || init.node.inputs[input].empty()) return std::nullopt;
  const ir::TypeInfo* type = init.graph.FindType(init.node.inputs[input]);
  if (type == nullptr || type->elem_type != DataType::kFloat || !type->shape) return std::nullopt;
  Shape shape;
  for (const ir::Dim& d : *type->shape) shape.push_back(d.is_fixed() ? d.value : 1);
  return shape;
}

}  // namespace

void PrepareDnnlMatMul(DnnlMatMul& dnnl, const KernelInit& init) {
  const Tensor* b = init.ConstantInput(1);
  if (b == nullptr || !dnnl.has_constant_b()) return;
  auto a = RepresentativeShape(init, 0);
  // A of unknown type (a fused node's output): with a 2-D B every A runs as
  // one [rows, K] product, and B's packed layout serves any row count.
  if (!a && b->rank() == 2) a = Shape{1, b->dim(0)};
  if (!a) return;
  auto s = MatMulShapeFor(*a, b->shape());
  if (!s.ok() || s->k == 0) return;
  const bool has_bias = init.node.inputs.size() > 2 && !init.node.inputs[2].empty();
  const MatMulDims d = MatMulDimsFor(*s, has_bias);
  dnnl.Prepare(d.a, d.b, d.out, has_bias, d.bias, false, 0.0f);
}

void PrepareDnnlGemm(DnnlMatMul& dnnl, const KernelInit& init, bool trans_a, bool trans_b, float alpha, float beta) {
  const Tensor* b = init.ConstantInput(1);
  if (b == nullptr || b->rank() != 2 || !dnnl.has_constant_b()) return;
  auto a = RepresentativeShape(init, 0);
  if (!a) {
    // A of unknown type: one row, K from B.
    const int64_t k = trans_b ? b->dim(1) : b->dim(0);
    a = trans_a ? Shape{k, 1} : Shape{1, k};
  }
  if (a->size() != 2) return;
  const int64_t m = trans_a ? (*a)[1] : (*a)[0];
  const int64_t k = trans_a ? (*a)[0] : (*a)[1];
  const int64_t n = trans_b ? b->dim(0) : b->dim(1);
  if (k != (trans_b ? b->dim(1) : b->dim(0))) return;
  const Shape a_dims{m, k}, b_dims{k, n}, out_dims{m, n};
  const bool has_c = init.node.inputs.size() > 2 && !init.node.inputs[2].empty() && beta != 0.0f;
  if (!has_c) return dnnl.Prepare(a_dims, b_dims, out_dims, false, {}, false, 0.0f);
  const Tensor* c = init.ConstantInput(2);
  if (beta == 1.0f && alpha == 1.0f && c != nullptr && c->rank() <= 2) {
    const Shape bias_dims{c->rank() == 2 ? c->dim(0) : 1, c->rank() >= 1 ? c->dim(c->rank() - 1) : 1};
    return dnnl.Prepare(a_dims, b_dims, out_dims, true, bias_dims, false, 0.0f);
  }
  dnnl.Prepare(a_dims, b_dims, out_dims, false, {}, true, beta);
}

Status RunDnnlMatMul(const DnnlMatMul& dnnl, const KernelContext& ctx, const MatMulShape& s, const Tensor& a,
                     const Tensor& b, const Tensor* bias, Tensor& out) {
  if (NumElements(s.batch) == 0 || s.m == 0 || s.n == 0) return Status::Ok();
  if (s.k == 0) {
    // An empty sum: zeros, plus the bias.
    float* po = out.data<float>();
    std::fill(po, po + out.num_elements(), 0.0f);
    if (bias != nullptr) {
      for (int64_t i = 0; i < out.num_elements(); ++i) po[i] += bias->data<float>()[i % s.n];
    }
    return Status::Ok();
  }
  const MatMulDims d = MatMulDimsFor(s, bias != nullptr);
  return dnnl.Run(ctx, d.a, d.b, d.out, a, b, bias, d.bias, false, 0.0f, out);
}

Status RunDnnlGemm(const DnnlMatMul& dnnl, const KernelContext& ctx, const Shape& a_dims, const Shape& b_dims,
                   const Tensor& a, const Tensor& b, const Tensor* c, float beta, Tensor& out) {
  const Shape out_dims{a_dims[0], b_dims[1]};
  if (c == nullptr) return dnnl.Run(ctx, a_dims, b_dims, out_dims, a, b, nullptr, {}, false, 0.0f, out);
  if (beta == 1.0f && !dnnl.scales_output()) {
    // C as oneDNN bias: its dimensions are 1 or Y's (checked by the caller).
    const Shape bias_dims{c->rank() == 2 ? c->dim(0) : 1, c->rank() >= 1 ? c->dim(c->rank() - 1) : 1};
    return dnnl.Run(ctx, a_dims, b_dims, out_dims, a, b, c, bias_dims, false, 0.0f, out);
  }
  // Y = C broadcast, then Y = alpha * A * B + beta * Y.
  float* po = out.data<float>();
  const float* pc = c->data<float>();
  ForEachBroadcastRun<1>(out_dims, {&c->shape()},
                         [&](int64_t o, const std::array<int64_t, 1>& off, const std::array<int64_t, 1>& step,
                             int64_t count) {
                           for (int64_t i = 0; i < count; ++i) po[o + i] = pc[off[0] + i * step[0]];
                         });
  return dnnl.Run(ctx, a_dims, b_dims, out_dims, a, b, nullptr, {}, true, beta, out);
}

}  // namespace kiln::cpu
