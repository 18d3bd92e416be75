// Unique: the distinct elements of the flattened input, or the distinct
// slices along `axis`, sorted or in order of first occurrence, with the index
// of each first occurrence, the inverse mapping and the counts.
#include <algorithm>
#include <numeric>
#include <optional>
#include <vector>

#include "engine/kernels/cpu/index_util.h"

namespace kiln::cpu {
namespace {

class UniqueKernel final : public OpKernel {
 public:
  explicit UniqueKernel(const KernelInit& init) : sorted_(init.node.GetInt("sorted", 1) != 0) {
    if (init.node.HasAttribute("axis")) axis_ = init.node.GetInt("axis", 0);
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    // The input seen as [outer, slices, inner]; a slice is all (outer, inner) elements at one position.
    int64_t outer = 1, slices = input.num_elements(), inner = 1;
    size_t axis = 0;
    if (axis_) {
      if (input.rank() == 0) return ShapeError("input must have rank >= 1 when axis is given");
      KILN_ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(*axis_, input.rank()));
      axis = static_cast<size_t>(a);
      outer = SizeFromDim(input.shape(), 0, axis);
      slices = input.shape()[axis];
      inner = SizeFromDim(input.shape(), axis + 1, input.shape().size());
    }

    std::vector<int64_t> first;   // per unique slice: its first position in the input
    std::vector<int64_t> counts;  // per unique slice: how often it occurs
    std::vector<int64_t> inverse(static_cast<size_t>(slices));
    KILN_RETURN_IF_ERROR(DispatchType<AllTypes>(input.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      auto less = [](const T& a, const T& b) {
        if constexpr (std::is_same_v<C, T>) {
          return LessNanLast(a, b);
        } else {
          return LessNanLast(static_cast<C>(a), static_cast<C>(b));
        }
      };
      const T* x = input.data<T>();
      // Lexicographic comparison of two slices in row-major element order.
      auto slice_less = [&](int64_t a, int64_t b) {
        for (int64_t o = 0; o < outer; ++o) {
          const T* pa = x + (o * slices + a) * inner;
          const T* pb = x + (o * slices + b) * inner;
          for (int64_t i = 0; i < inner; ++i) {
            if (less(pa[i], pb[i])) return true;
            if (less(pb[i], pa[i])) return false;
          }
        }
        return false;
      };
      std::vector<int64_t> order(static_cast<size_t>(slices));
      std::iota(order.begin(), order.end(), int64_t{0});
      std::stable_sort(order.begin(), order.end(), slice_less);
      // Equal slices are now adjacent, each run led by its lowest position.
      std::vector<int64_t> group_of_sorted(order.size());
      for (size_t s = 0; s < order.size(); ++s) {
        if (s == 0 || slice_less(order[s - 1], order[s])) {
          first.push_back(order[s]);
          counts.push_back(0);
        }
        ++counts.back();
        group_of_sorted[s] = static_cast<int64_t>(first.size()) - 1;
      }
      std::vector<int64_t> rank_of_group(first.size());
      std::iota(rank_of_group.begin(), rank_of_group.end(), int64_t{0});
      if (!sorted_) {
        // Order of first occurrence: renumber groups by their first position.
        std::vector<int64_t> by_first(first.size());
        std::iota(by_first.begin(), by_first.end(), int64_t{0});
        std::sort(by_first.begin(), by_first.end(),
                  [&](int64_t a, int64_t b) { return first[static_cast<size_t>(a)] < first[static_cast<size_t>(b)]; });
        std::vector<int64_t> new_first(first.size()), new_counts(first.size());
        for (size_t r = 0; r < by_first.size(); ++r) {
          const auto g = static_cast<size_t>(by_first[r]);
          rank_of_group[g] = static_cast<int64_t>(r);
          new_first[r] = first[g];
          new_counts[r] = counts[g];
        }
        first.swap(new_first);
        counts.swap(new_counts);
      }
      for (size_t s = 0; s < order.size(); ++s) {
        inverse[static_cast<size_t>(order[s])] = rank_of_group[static_cast<size_t>(group_of_sorted[s])];
      }
    }));

    const auto unique_count = static_cast<int64_t>(first.size());
    Shape y_shape = {unique_count};
    if (axis_) {
      y_shape = input.shape();
      y_shape[axis] = unique_count;
    }
    Tensor y = Tensor::Allocate(input.dtype(), y_shape);
    KILN_RETURN_IF_ERROR(CopySlicesAlongAxis(input, outer, slices, inner, first, y));
    ctx.SetOutput(0, Value(std::move(y)));
    ctx.SetOutput(1, Value(Tensor::FromVector<int64_t>({unique_count}, first)));
    ctx.SetOutput(2, Value(Tensor::FromVector<int64_t>({slices}, inverse)));
    ctx.SetOutput(3, Value(Tensor::FromVector<int64_t>({unique_count}, counts)));
    return Status::Ok();
  }

 private:
  bool sorted_;
  std::optional<int64_t> axis_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeUnique(const KernelInit& init) { return MakeKernel<UniqueKernel>(init); }

}  // namespace kiln::cpu
