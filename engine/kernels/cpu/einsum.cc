// Einsum: sums products of operand elements over the labels of an Einstein-notation
// equation ("ij,jk->ik", with "..." for broadcast dims and implicit output when "->"
// is absent), by iterating over all output and contracted label values.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "engine/kernels/cpu/gemm.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

constexpr int kLetterLabels = 52;  // a-z, A-Z; ellipsis dims get labels from 52 on

int LetterLabel(char ch) {
  if (ch >= 'a' && ch <= 'z') return ch - 'a';
  if (ch >= 'A' && ch <= 'Z') return 26 + (ch - 'A');
  return -1;
}

// One term of the equation: its letter labels with kEllipsis marking "...".
constexpr int kEllipsis = -2;
Result<std::vector<int>> ParseTerm(const std::string& term) {
  std::vector<int> labels;
  bool seen_ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.compare(i, 3, "...") == 0) {
      if (seen_ellipsis) return Status::InvalidArgument("term '" + term + "' has more than one ellipsis");
      seen_ellipsis = true;
      labels.push_back(kEllipsis);
      i += 2;
      continue;
    }
    const int label = LetterLabel(term[i]);
    if (label < 0) return Status::InvalidArgument("invalid character '" + std::string(1, term[i]) + "' in equation");
    labels.push_back(label);
  }
  return labels;
}

struct EinsumPlan {
  std::vector<std::vector<int>> inputs;  // per input: label of each dim, ellipsis expanded
  std::vector<int> output;               // label of each output dim
  int num_ellipsis_dims = 0;
};

std::vector<int64_t> RowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

// Writes the elements of `src` over index space `sizes` (row-major), read with
// `src_strides`, contiguously into dst.
template <typename T>
void StridedCopy(const T* src, const std::vector<int64_t>& sizes, const std::vector<int64_t>& src_strides, T* dst) {
  const int64_t total = NumElements(sizes);
  std::vector<int64_t> index(sizes.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = src[offset];
    for (size_t d = sizes.size(); d-- > 0;) {
      offset += src_strides[d];
      if (++index[d] < sizes[d]) break;
      offset -= src_strides[d] * sizes[d];
      index[d] = 0;
    }
  }
}

int IndexOf(const std::vector<int>& labels, int label) {
  const auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

// Two-operand Einsum as a batched matrix product: applies when every label is a
// batch label (both operands and output), a row label (first operand and output),
// a column label (second operand and output) or a contracted label (both operands
// only), no operand repeats a label and shared labels have equal sizes.
// Returns false, writing nothing, when it does not apply.
template <typename T>
bool TryBatchedMatMul(const EinsumPlan& plan, const Tensor& a, const Tensor& b, Tensor& out) {
  const std::vector<int>& la = plan.inputs[0];
  const std::vector<int>& lb = plan.inputs[1];
  for (const auto* labels : {&la, &lb}) {
    for (int l : *labels) {
      if (std::count(labels->begin(), labels->end(), l) > 1) return false;
    }
  }
  std::vector<int> batch, rows, cols, contracted;
  for (size_t i = 0; i < la.size(); ++i) {
    const int l = la[i];
    const int ib = IndexOf(lb, l);
    const bool in_output = IndexOf(plan.output, l) >= 0;
    if (ib >= 0) {
      if (a.dim(static_cast<int>(i)) != b.dim(ib)) return false;
      (in_output ? batch : contracted).push_back(l);
    } else if (in_output) {
      rows.push_back(l);
    } else {
      return false;
    }
  }
  for (int l : lb) {
    if (IndexOf(la, l) >= 0) continue;
    if (IndexOf(plan.output, l) < 0) return false;
    cols.push_back(l);
  }
  const std::vector<int64_t> a_strides = RowMajorStrides(a.shape()), b_strides = RowMajorStrides(b.shape());
  auto gather = [](const std::vector<int>& order, const std::vector<int>& labels, const Tensor& t,
                   const std::vector<int64_t>& strides, std::vector<int64_t>& sizes_out,
                   std::vector<int64_t>& strides_out, int64_t& count) {
    count = 1;
    for (int l : order) {
      const int d = IndexOf(labels, l);
      sizes_out.push_back(t.dim(d));
      strides_out.push_back(strides[static_cast<size_t>(d)]);
      count *= t.dim(d);
    }
  };
  std::vector<int64_t> pa_sizes, pa_strides, pb_sizes, pb_strides, unused_sizes, unused_strides;
  int64_t nb, m, n, k;
  gather(batch, la, a, a_strides, pa_sizes, pa_strides, nb);
  gather(rows, la, a, a_strides, pa_sizes, pa_strides, m);
  gather(contracted, la, a, a_strides, pa_sizes, pa_strides, k);
  gather(batch, lb, b, b_strides, pb_sizes, pb_strides, nb);
  gather(contracted, lb, b, b_strides, pb_sizes, pb_strides, k);
  gather(cols, lb, b, b_strides, pb_sizes, pb_strides, n);

  std::vector<T> pa(static_cast<size_t>(nb * m * k)), pb(static_cast<size_t>(nb * k * n)),
      pc(static_cast<size_t>(nb * m * n));
  StridedCopy(a.data<T>(), pa_sizes, pa_strides, pa.data());
  StridedCopy(b.data<T>(), pb_sizes, pb_strides, pb.data());
  for (int64_t i = 0; i < nb; ++i) {
    Gemm(false, false, m, n, k, T(1), pa.data() + i * m * k, k, pb.data() + i * k * n, n, T(0), pc.data() + i * m * n,
         n);
  }
  // The product is [batch..., rows..., cols...]; permute it into the output's label order.
  std::vector<int> c_labels = batch;
  c_labels.insert(c_labels.end(), rows.begin(), rows.end());
  c_labels.insert(c_labels.end(), cols.begin(), cols.end());
  Shape c_shape;
  for (int l : c_labels) {
    const int ia = IndexOf(la, l);
    c_shape.push_back(ia >= 0 ? a.dim(ia) : b.dim(IndexOf(lb, l)));
  }
  const std::vector<int64_t> c_strides = RowMajorStrides(c_shape);
  std::vector<int64_t> out_src_strides;
  for (int l : plan.output) out_src_strides.push_back(c_strides[static_cast<size_t>(IndexOf(c_labels, l))]);
  StridedCopy(pc.data(), out.shape(), out_src_strides, out.data<T>());
  return true;
}

class EinsumKernel final : public OpKernel {
 public:
  EinsumKernel(std::vector<std::vector<int>> input_terms, std::vector<int> output_term, bool explicit_output)
      : input_terms_(std::move(input_terms)), output_term_(std::move(output_term)), explicit_output_(explicit_output) {}

  Status Compute(KernelContext& ctx) const override {
    const int n = ctx.num_inputs();
    if (n != static_cast<int>(input_terms_.size())) {
      return Status::InvalidArgument("equation has " + std::to_string(input_terms_.size()) + " operands but " +
                                     std::to_string(n) + " inputs are given");
    }
    std::vector<const Tensor*> inputs;
    for (int i = 0; i < n; ++i) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      inputs.push_back(&ctx.input(i));
      if (ctx.input(i).dtype() != ctx.input(0).dtype())
        return Status::InvalidArgument("inputs have different data types");
    }
    KILN_ASSIGN_OR_RETURN(EinsumPlan plan, Plan(inputs));
    const int num_labels = kLetterLabels + plan.num_ellipsis_dims;

    // Size of each label, checking agreement (size-1 dims broadcast).
    std::vector<int64_t> size(static_cast<size_t>(num_labels), -1);
    for (int i = 0; i < n; ++i) {
      for (size_t d = 0; d < plan.inputs[i].size(); ++d) {
        int64_t& s = size[static_cast<size_t>(plan.inputs[i][d])];
        const int64_t dim = inputs[i]->dim(static_cast<int>(d));
        if (s == -1 || s == 1) {
          s = dim;
        } else if (dim != s && dim != 1) {
          return Status::InvalidArgument("dimension sizes " + std::to_string(s) + " and " + std::to_string(dim) +
                                         " disagree for one label");
        }
      }
    }
    Shape out_shape;
    for (int l : plan.output) out_shape.push_back(size[static_cast<size_t>(l)]);
    Tensor& out = ctx.AllocateOutput(0, inputs[0]->dtype(), out_shape);
    if (n == 2) {
      if (inputs[0]->dtype() == DataType::kFloat && TryBatchedMatMul<float>(plan, *inputs[0], *inputs[1], out)) {
        return Status::Ok();
      }
      if (inputs[0]->dtype() == DataType::kDouble && TryBatchedMatMul<double>(plan, *inputs[0], *inputs[1], out)) {
        return Status::Ok();
      }
    }

    // General case. Loop labels: output labels first, then the contracted ones.
    std::vector<int> loop = plan.output;
    std::vector<bool> in_output(static_cast<size_t>(num_labels), false);
    for (int l : plan.output) in_output[static_cast<size_t>(l)] = true;
    for (int l = 0; l < num_labels; ++l) {
      if (size[static_cast<size_t>(l)] >= 0 && !in_output[static_cast<size_t>(l)]) loop.push_back(l);
    }
    // Stride of each loop label in each input (summed when a label repeats: a diagonal).
    std::vector<std::vector<int64_t>> strides(static_cast<size_t>(n), std::vector<int64_t>(loop.size(), 0));
    for (int i = 0; i < n; ++i) {
      int64_t stride = 1;
      for (size_t d = plan.inputs[i].size(); d-- > 0;) {
        const int64_t dim = inputs[i]->dim(static_cast<int>(d));
        const auto pos = std::find(loop.begin(), loop.end(), plan.inputs[i][d]) - loop.begin();
        if (dim != 1) strides[static_cast<size_t>(i)][static_cast<size_t>(pos)] += stride;
        stride *= dim;
      }
    }
    std::vector<int64_t> loop_sizes;
    for (int l : loop) loop_sizes.push_back(size[static_cast<size_t>(l)]);
    const size_t num_out_labels = plan.output.size();

    return DispatchType<AllNumericTypes>(inputs[0]->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using Acc = std::conditional_t<kIsFloat<T>, double, T>;
      T* y = out.data<T>();
      const int64_t out_count = NumElements(out_shape);
      const int64_t inner_count = SizeFromDim(loop_sizes, num_out_labels, loop_sizes.size());
      std::vector<int64_t> index(loop.size(), 0);
      std::vector<int64_t> offset(static_cast<size_t>(n), 0);
      std::vector<const T*> data;
      for (const Tensor* t : inputs) data.push_back(t->data<T>());
      for (int64_t o = 0; o < out_count; ++o) {
        Acc acc = 0;
        for (int64_t r = 0; r < inner_count; ++r) {
          Acc prod = 1;
          for (int i = 0; i < n; ++i) {
            const T v = data[static_cast<size_t>(i)][offset[static_cast<size_t>(i)]];
            prod = static_cast<Acc>(prod * static_cast<Acc>(static_cast<ComputeType<T>>(v)));
          }
          acc = static_cast<Acc>(acc + prod);
          Advance(index, offset, loop_sizes, strides, loop.size());
        }
        y[o] = static_cast<T>(static_cast<ComputeType<T>>(acc));
        if (inner_count == 0) Advance(index, offset, loop_sizes, strides, num_out_labels);
      }
    });
  }

 private:
  // Steps the row-major odometer over loop dims [0, end) by one, updating each input's offset.
  // Over all loop dims, wrapping the contracted dims advances the output dims.
  static void Advance(std::vector<int64_t>& index, std::vector<int64_t>& offset, const std::vector<int64_t>& sizes,
                      const std::vector<std::vector<int64_t>>& strides, size_t end) {
    for (size_t d = end; d-- > 0;) {
      for (size_t i = 0; i < offset.size(); ++i) offset[i] += strides[i][d];
      if (++index[d] < sizes[d]) return;
      for (size_t i = 0; i < offset.size(); ++i) offset[i] -= strides[i][d] * sizes[d];
      index[d] = 0;
    }
  }

  // Expands "..." into per-input labels and derives the output labels.
  Result<EinsumPlan> Plan(const std::vector<const Tensor*>& inputs) const {
    EinsumPlan plan;
    std::vector<int> ellipsis_rank(inputs.size(), 0);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto& term = input_terms_[i];
      const bool has_ellipsis = std::count(term.begin(), term.end(), kEllipsis) > 0;
      const int letters = static_cast<int>(term.size()) - (has_ellipsis ? 1 : 0);
      const int rank = inputs[i]->rank();
      if (has_ellipsis ? rank < letters : rank != letters) {
        return Status::InvalidArgument("operand " + std::to_string(i) + " has rank " + std::to_string(rank) +
                                       " which does not match its term in the equation");
      }
      ellipsis_rank[i] = rank - letters;
      plan.num_ellipsis_dims = std::max(plan.num_ellipsis_dims, ellipsis_rank[i]);
    }
    auto expand = [&](const std::vector<int>& term, int ell_rank) {
      std::vector<int> labels;
      for (int l : term) {
        if (l != kEllipsis) {
          labels.push_back(l);
          continue;
        }
        // Ellipsis dims align to the right across operands.
        for (int k = plan.num_ellipsis_dims - ell_rank; k < plan.num_ellipsis_dims; ++k)
          labels.push_back(kLetterLabels + k);
      }
      return labels;
    };
    std::array<int, kLetterLabels> count{};
    for (size_t i = 0; i < inputs.size(); ++i) {
      plan.inputs.push_back(expand(input_terms_[i], ellipsis_rank[i]));
      for (int l : input_terms_[i]) {
        if (l != kEllipsis) ++count[static_cast<size_t>(l)];
      }
    }
    if (explicit_output_) {
      plan.output = expand(output_term_, plan.num_ellipsis_dims);
      for (size_t i = 0; i < plan.output.size(); ++i) {
        const int l = plan.output[i];
        if (l < kLetterLabels && count[static_cast<size_t>(l)] == 0) {
          return Status::InvalidArgument("output label does not appear in any input");
        }
        if (std::count(plan.output.begin(), plan.output.end(), l) > 1) {
          return Status::InvalidArgument("output label appears more than once");
        }
      }
    } else {
      for (int k = 0; k < plan.num_ellipsis_dims; ++k) plan.output.push_back(kLetterLabels + k);
      // Letters used exactly once, in alphabetical order (upper case sorts before lower case).
      for (int l = 26; l < kLetterLabels; ++l) {
        if (count[static_cast<size_t>(l)] == 1) plan.output.push_back(l);
      }
      for (int l = 0; l < 26; ++l) {
        if (count[static_cast<size_t>(l)] == 1) plan.output.push_back(l);
      }
    }
    return plan;
  }

  std::vector<std::vector<int>> input_terms_;
  std::vector<int> output_term_;
  bool explicit_output_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeEinsum(const KernelInit& init) {
  std::string equation;
  for (char ch : init.node.GetString("equation", "")) {
    if (ch != ' ') equation.push_back(ch);
  }
  if (equation.empty()) return Status::InvalidArgument("attribute 'equation' is required");
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<std::vector<int>> input_terms;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    KILN_ASSIGN_OR_RETURN(std::vector<int> term, ParseTerm(lhs.substr(start, comma - start)));
    input_terms.push_back(std::move(term));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::vector<int> output_term;
  if (arrow != std::string::npos) {
    KILN_ASSIGN_OR_RETURN(output_term, ParseTerm(equation.substr(arrow + 2)));
  }
  return std::unique_ptr<OpKernel>(
      new EinsumKernel(std::move(input_terms), std::move(output_term), arrow != std::string::npos));
}

}  // namespace kiln::cpu
