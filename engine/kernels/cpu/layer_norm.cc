// LayerNormalization: normalises each row of the input flattened to 2D at `axis`
// to zero mean and unit variance, then applies Scale and optional B; optionally
// outputs each row's Mean and InvStdDev. float rows use the vectorized loop of
// vector_math.h.
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/norm_statistics.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

// Scale or B as norm_size floats: the tensor's own data when it is float and
// already full size, else a broadcast copy in `storage`. nullptr when absent.
struct ParamView {
  const float* data = nullptr;
  std::vector<float> storage;
};

Result<ParamView> ExpandParam(const Tensor& param, const Shape& norm_shape, int64_t norm_size, const char* name) {
  ParamView view;
  if (!param.defined()) return view;
  const Shape& ps = param.shape();
  if (ps.size() > norm_shape.size()) {
    return Status::InvalidArgument(std::string(name) + " shape " + ShapeToString(ps) +
                                   " does not broadcast to normalized shape " + ShapeToString(norm_shape));
  }
  const size_t lead = norm_shape.size() - ps.size();
  std::vector<int64_t> strides(norm_shape.size(), 0);
  int64_t stride = 1;
  for (size_t d = ps.size(); d-- > 0;) {
    if (ps[d] != 1 && ps[d] != norm_shape[lead + d]) {
      return Status::InvalidArgument(std::string(name) + " shape " + ShapeToString(ps) +
                                     " does not broadcast to normalized shape " + ShapeToString(norm_shape));
    }
    strides[lead + d] = ps[d] == 1 ? 0 : stride;
    stride *= ps[d];
  }
  if (param.dtype() == DataType::kFloat && param.num_elements() == norm_size) {
    view.data = param.data<float>();
    return view;
  }
  std::vector<float>& out = view.storage;
  out.resize(static_cast<size_t>(norm_size));
  std::vector<int64_t> index(norm_shape.size(), 0);
  for (int64_t i = 0; i < norm_size; ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d) src += index[d] * strides[d];
    out[static_cast<size_t>(i)] = static_cast<float>(param.GetDouble(src));
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < norm_shape[d]) break;
      index[d] = 0;
    }
  }
  view.data = out.data();
  return view;
}

class LayerNormKernel final : public OpKernel {
 public:
  explicit LayerNormKernel(const KernelInit& init)
      : axis_(init.node.GetInt("axis", -1)),
        epsilon_(init.node.GetFloat("epsilon", 1e-5f)),
        stats_type_(init.OutputType(1) != DataType::kUndefined   ? init.OutputType(1)
                    : init.OutputType(2) != DataType::kUndefined ? init.OutputType(2)
                                                                 : DataType::kFloat) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x.rank()));
    const Shape& shape = x.shape();
    const size_t a = static_cast<size_t>(axis);
    const int64_t rows = SizeFromDim(shape, 0, a);
    const int64_t cols = SizeFromDim(shape, a, shape.size());
    const Shape norm_shape(shape.begin() + axis, shape.end());

    KILN_ASSIGN_OR_RETURN(ParamView scale, ExpandParam(ctx.input(1), norm_shape, cols, "Scale"));
    KILN_ASSIGN_OR_RETURN(ParamView bias,
                          ExpandParam(ctx.has_input(2) ? ctx.input(2) : Tensor(), norm_shape, cols, "B"));

    Shape stats_shape(shape.begin(), shape.begin() + axis);
    stats_shape.resize(shape.size(), 1);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), shape);
    Tensor* mean_out = ctx.wants_output(1) ? &ctx.AllocateOutput(1, stats_type_, stats_shape) : nullptr;
    Tensor* inv_std_out = ctx.wants_output(2) ? &ctx.AllocateOutput(2, stats_type_, stats_shape) : nullptr;

    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      const float* sp = scale.data;
      const float* bp = bias.data;
      using C = ComputeType<T>;  // float, or double for double inputs
      struct RowStats {
        C mean;
        C inv_std;
      };
      auto normalize_row = [&](int64_t r) {
        const T* xr = xp + r * cols;
        T* yr = yp + r * cols;
        if constexpr (std::is_same_v<T, float>) {
          float mean = 0, inv_std = 0;
          vec::LayerNormRow(xr, sp, bp, yr, cols, epsilon_, &mean, &inv_std);
          return RowStats{mean, inv_std};
        }
        C sum = 0;
        for (int64_t c = 0; c < cols; ++c) sum += static_cast<C>(xr[c]);
        const C mean = sum / static_cast<C>(cols);
        C sq = 0;
        for (int64_t c = 0; c < cols; ++c) {
          const C d = static_cast<C>(xr[c]) - mean;
          sq += d * d;
        }
        const C inv_std = C(1) / std::sqrt(sq / static_cast<C>(cols) + static_cast<C>(epsilon_));
        if (bp) {
          for (int64_t c = 0; c < cols; ++c)
            yr[c] = static_cast<T>((static_cast<C>(xr[c]) - mean) * inv_std * sp[c] + bp[c]);
        } else {
          for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<T>((static_cast<C>(xr[c]) - mean) * inv_std * sp[c]);
        }
        return RowStats{mean, inv_std};
      };
      if (!mean_out && !inv_std_out) {
        // Inference: rows are independent, spread them over the session's threads.
        constexpr int64_t kMinTaskElements = int64_t{1} << 14;
        ParallelFor(ctx.thread_pool(), rows, std::max<int64_t>(1, kMinTaskElements / std::max<int64_t>(cols, 1)),
                    [&](int64_t first, int64_t last) {
                      for (int64_t r = first; r < last; ++r) normalize_row(r);
                    });
        return Status::Ok();
      }
      std::vector<double> means(static_cast<size_t>(rows)), inv_stds(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) {
        const RowStats stats = normalize_row(r);
        means[static_cast<size_t>(r)] = static_cast<double>(stats.mean);
        inv_stds[static_cast<size_t>(r)] = static_cast<double>(stats.inv_std);
      }
      if (mean_out) KILN_RETURN_IF_ERROR(StoreStatistics(*mean_out, means));
      if (inv_std_out) KILN_RETURN_IF_ERROR(StoreStatistics(*inv_std_out, inv_stds));
      return Status::Ok();
    });
  }

 private:
  int64_t axis_;
  float epsilon_;
  DataType stats_type_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeLayerNormalization(const KernelInit& init) {
  return MakeKernel<LayerNormKernel>(init);
}

}  // namespace kiln::cpu
