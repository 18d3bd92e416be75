// Einsum: sums products of operand elements over the labels of an Einstein-notation
// equation ("ij,jk->ik", with "..." for broadcast dims and implicit output when "->"
// is absent), by iterating over all output and contracted label values.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

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
      if (ctx.input(i).dtype() != ctx.input(0).dtype()) return Status::InvalidArgument("inputs have different data types");
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
          s = (s == 1 && dim != 1) || s == -1 ? dim : s;
        } else if (dim != s && dim != 1) {
          return Status::InvalidArgument("dimension sizes " + std::to_string(s) + " and " + std::to_string(dim) +
                                         " disagree for one label");
        }
      }
    }
    // Loop labels: output labels first, then the contracted ones.
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
    Shape out_shape;
    for (int l : plan.output) out_shape.push_back(size[static_cast<size_t>(l)]);
    std::vector<int64_t> loop_sizes;
    for (int l : loop) loop_sizes.push_back(size[static_cast<size_t>(l)]);
    Tensor& out = ctx.AllocateOutput(0, inputs[0]->dtype(), out_shape);
    const size_t num_out_labels = plan.output.size();

    return DispatchType<AllNumericTypes>(inputs[0]->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using Acc = std::conditional_t<kIsFloat<T>, double, T>;
      T* y = out.data<T>();
      const int64_t out_count = NumElements(out_shape);
      const int64_t inner_count = SizeFromDim(loop_sizes, num_out_labels, loop_sizes.size());
      std::vector<int64_t> index(loop.size(), 0);
      std::vector<int64_t> offset(static_cast<size_t>(n), 0);
      for (int64_t o = 0; o < out_count; ++o) {
        Acc acc = 0;
        for (int64_t r = 0; r < inner_count; ++r) {
          Acc prod = 1;
          for (int i = 0; i < n; ++i) {
            prod = static_cast<Acc>(prod * static_cast<Acc>(static_cast<ComputeType<T>>(
                                               inputs[i]->data<T>()[offset[static_cast<size_t>(i)]])));
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
        for (int k = plan.num_ellipsis_dims - ell_rank; k < plan.num_ellipsis_dims; ++k) labels.push_back(kLetterLabels + k);
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
