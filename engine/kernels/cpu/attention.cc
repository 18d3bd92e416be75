// Attention (domain "kiln", made by the attention_fusion pass): scaled
// dot-product attention over heads,
//   Y = softmax(scale * Q K^T + mask) V      per (batch, head),
// with Q, K, V and Y 4-D float tensors whose axes are permutations of
// (batch, head, sequence, feature), so that the head split/merge
// transposes around attention cost nothing:
//   inputs   Q, K, V, optional additive mask (broadcast to [batch, head, q_seq, k_seq])
//   scale    float
//   q_perm, k_perm, v_perm   axis of the input holding batch, head, sequence, feature
//                            (logical = Transpose(input, perm); default 0,1,2,3)
//   out_perm axis i of Y holds logical axis out_perm[i] of [batch, head, q_seq, v_feature]
// Batch and head sizes broadcast like MatMul's batch dimensions.
//
// Work is split into (batch, head, block of query rows) tasks over the
// session's threads; each computes its scores with the packed GEMM, adds the
// mask and normalizes rows with the vectorized softmax, then multiplies by V
// straight into Y. Nothing of size seq x seq outlives a task.
#include <algorithm>
#include <array>
#include <vector>

#include "engine/kernels/cpu/gemm.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

using Axes = std::array<int64_t, 4>;

Result<Axes> ReadPerm(const ir::Node& node, const char* name) {
  std::vector<int64_t> perm = node.GetInts(name, {0, 1, 2, 3});
  if (perm.size() != 4) return Status::InvalidArgument(std::string(name) + " must have 4 entries");
  Axes axes{};
  std::array<bool, 4> seen{};
  for (size_t i = 0; i < 4; ++i) {
    if (perm[i] < 0 || perm[i] > 3 || seen[static_cast<size_t>(perm[i])])
      return Status::InvalidArgument(std::string(name) + " is not a permutation of 0..3");
    seen[static_cast<size_t>(perm[i])] = true;
    axes[i] = perm[i];
  }
  return axes;
}

Axes RowMajorStrides(const Shape& shape) {
  Axes strides{};
  int64_t s = 1;
  for (size_t d = 4; d-- > 0;) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

// A 4-D operand seen in logical (batch, head, seq, feature) order.
struct Operand {
  const float* data = nullptr;
  Axes dims{};
  Axes strides{};  // 0 on broadcast batch/head axes
};

Operand View(const Tensor& t, const Axes& perm) {
  Operand op;
  op.data = t.data<float>();
  const Axes phys = RowMajorStrides(t.shape());
  for (size_t i = 0; i < 4; ++i) {
    op.dims[i] = t.shape()[static_cast<size_t>(perm[i])];
    op.strides[i] = phys[static_cast<size_t>(perm[i])];
  }
  return op;
}

// How the GEMM reads a rows x cols matrix with the given element strides:
// transposed or not, with a leading dimension; copied when neither stride is 1.
struct MatrixAccess {
  const float* data;
  bool transposed;
  int64_t ld;
};

MatrixAccess Access(const float* base, int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride,
                    std::vector<float>& scratch) {
  if (col_stride == 1 || cols == 1) return {base, false, row_stride};
  if (row_stride == 1 || rows == 1) return {base, true, col_stride};
  scratch.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) scratch[static_cast<size_t>(r * cols + c)] = base[r * row_stride + c * col_stride];
  return {scratch.data(), false, cols};
}

int64_t Broadcast(int64_t a, int64_t b) { return a == 1 ? b : a; }
bool Compatible(int64_t dim, int64_t full) { return dim == 1 || dim == full; }

class AttentionKernel final : public OpKernel {
 public:
  AttentionKernel(float scale, Axes q, Axes k, Axes v, Axes out)
      : scale_(scale), q_perm_(q), k_perm_(k), v_perm_(v), out_perm_(out) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      const Tensor& t = ctx.input(i);
      if (t.dtype() != DataType::kFloat)
        return Status::Unimplemented("Attention supports float only, got " + std::string(DataTypeName(t.dtype())));
      if (t.rank() != 4) return ShapeError("Attention input " + std::to_string(i) + " must be 4-D, got " +
                                           ShapeToString(t.shape()));
    }
    Operand q = View(ctx.input(0), q_perm_);
    Operand k = View(ctx.input(1), k_perm_);
    Operand v = View(ctx.input(2), v_perm_);
    const int64_t sq = q.dims[2], sk = k.dims[2], d = q.dims[3], dv = v.dims[3];
    if (k.dims[3] != d || v.dims[2] != sk) {
      return ShapeError("Attention shapes do not match: Q " + ShapeToString(ctx.input(0).shape()) + ", K " +
                        ShapeToString(ctx.input(1).shape()) + ", V " + ShapeToString(ctx.input(2).shape()));
    }
    int64_t batch = Broadcast(Broadcast(q.dims[0], k.dims[0]), v.dims[0]);
    int64_t heads = Broadcast(Broadcast(q.dims[1], k.dims[1]), v.dims[1]);

    // The mask, right-aligned to [batch, head, q_seq, k_seq].
    Operand mask;
    const bool has_mask = ctx.num_inputs() > 3 && ctx.has_input(3);
    if (has_mask) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(3));
      const Tensor& m = ctx.input(3);
      if (m.dtype() != DataType::kFloat) return Status::InvalidArgument("Attention mask must be float");
      if (m.rank() > 4) return ShapeError("Attention mask has rank " + std::to_string(m.rank()) + " > 4");
      Shape padded(4 - static_cast<size_t>(m.rank()), 1);
      padded.insert(padded.end(), m.shape().begin(), m.shape().end());
      mask.data = m.data<float>();
      mask.dims = {padded[0], padded[1], padded[2], padded[3]};
      mask.strides = RowMajorStrides(padded);
      batch = Broadcast(batch, mask.dims[0]);
      heads = Broadcast(heads, mask.dims[1]);
      if (!Compatible(mask.dims[2], sq) || !Compatible(mask.dims[3], sk)) {
        return ShapeError("Attention mask " + ShapeToString(m.shape()) + " does not broadcast to scores [" +
                          std::to_string(batch) + "," + std::to_string(heads) + "," + std::to_string(sq) + "," +
                          std::to_string(sk) + "]");
      }
    }
    for (Operand* op : {&q, &k, &v, &mask}) {
      if (op == &mask && !has_mask) continue;
      if (!Compatible(op->dims[0], batch) || !Compatible(op->dims[1], heads))
        return ShapeError("Attention batch/head dimensions do not broadcast");
      // Broadcast axes read one element; the mask may also broadcast along the sequences.
      for (size_t i = 0; i < (op == &mask ? 4u : 2u); ++i)
        if (op->dims[i] == 1) op->strides[i] = 0;
    }

    const Axes logical = {batch, heads, sq, dv};
    Shape out_shape(4);
    for (size_t i = 0; i < 4; ++i) out_shape[i] = logical[static_cast<size_t>(out_perm_[i])];
    Tensor& y = ctx.AllocateOutput(0, DataType::kFloat, out_shape);
    if (y.num_elements() == 0) return Status::Ok();
    Operand out;
    out.data = nullptr;
    const Axes phys = RowMajorStrides(out_shape);
    for (size_t i = 0; i < 4; ++i) out.strides[static_cast<size_t>(out_perm_[i])] = phys[i];
    float* yp = y.data<float>();

    // Tasks: (batch, head, block of query rows).
    ThreadPool* pool = ctx.thread_pool();
    const int64_t threads = pool ? pool->size() : 1;
    int64_t block = sq;
    if (threads > 1 && batch * heads < 4 * threads)
      block = std::max<int64_t>(16, (sq * batch * heads + 4 * threads - 1) / (4 * threads));
    const int64_t blocks = (sq + block - 1) / block;
    const float scale = scale_;
    ParallelFor(pool, batch * heads * blocks, 1, [&](int64_t first, int64_t last) {
      std::vector<float> scores, mask_row, q_copy, k_copy, v_copy, out_copy;
      for (int64_t task = first; task < last; ++task) {
        const int64_t bh = task / blocks, i0 = (task % blocks) * block;
        const int64_t b = bh / heads, h = bh % heads;
        const int64_t rows = std::min(block, sq - i0);
        const float* qb = q.data + b * q.strides[0] + h * q.strides[1] + i0 * q.strides[2];
        const float* kb = k.data + b * k.strides[0] + h * k.strides[1];
        const float* vb = v.data + b * v.strides[0] + h * v.strides[1];
        float* ob = yp + b * out.strides[0] + h * out.strides[1] + i0 * out.strides[2];
        scores.resize(static_cast<size_t>(rows * sk));
        // scores = scale * Q K^T: A = Q block (rows x d), op(B) = K^T (d x sk).
        const MatrixAccess qa = Access(qb, rows, d, q.strides[2], q.strides[3], q_copy);
        const MatrixAccess ka = Access(kb, sk, d, k.strides[2], k.strides[3], k_copy);  // K as sk x d
        Gemm(qa.transposed, !ka.transposed, rows, sk, d, scale, qa.data, qa.ld, ka.data, ka.ld, 0.0f, scores.data(),
             sk);
        for (int64_t r = 0; r < rows; ++r) {
          float* row = scores.data() + r * sk;
          const float* bias = nullptr;
          if (has_mask) {
            const float* mb = mask.data + b * mask.strides[0] + h * mask.strides[1] + (i0 + r) * mask.strides[2];
            if (mask.strides[3] == 1) {
              bias = mb;
            } else {
              mask_row.assign(static_cast<size_t>(sk), mb[0]);
              bias = mask_row.data();
            }
          }
          vec::SoftmaxRow(row, bias, row, sk);
        }
        // Y block = P V: P is rows x sk, V is sk x dv.
        const MatrixAccess va = Access(vb, sk, dv, v.strides[2], v.strides[3], v_copy);
        if (out.strides[3] == 1) {
          Gemm(false, va.transposed, rows, dv, sk, 1.0f, scores.data(), sk, va.data, va.ld, 0.0f, ob, out.strides[2]);
        } else {
          out_copy.resize(static_cast<size_t>(rows * dv));
          Gemm(false, va.transposed, rows, dv, sk, 1.0f, scores.data(), sk, va.data, va.ld, 0.0f, out_copy.data(), dv);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < dv; ++c)
              ob[r * out.strides[2] + c * out.strides[3]] = out_copy[static_cast<size_t>(r * dv + c)];
        }
      }
    });
    return Status::Ok();
  }

 private:
  float scale_;
  Axes q_perm_, k_perm_, v_perm_, out_perm_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAttention(const KernelInit& init) {
  const ir::Node& node = init.node;
  if (node.inputs.size() < 3 || node.inputs.size() > 4)
    return Status::InvalidArgument("Attention takes Q, K, V and an optional mask");
  KILN_ASSIGN_OR_RETURN(Axes q, ReadPerm(node, "q_perm"));
  KILN_ASSIGN_OR_RETURN(Axes k, ReadPerm(node, "k_perm"));
  KILN_ASSIGN_OR_RETURN(Axes v, ReadPerm(node, "v_perm"));
  KILN_ASSIGN_OR_RETURN(Axes out, ReadPerm(node, "out_perm"));
  return std::unique_ptr<OpKernel>(new AttentionKernel(node.GetFloat("scale", 1.0f), q, k, v, out));
}

}  // namespace kiln::cpu
