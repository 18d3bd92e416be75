// MaxPool, AveragePool, LpPool and their Global* forms: sliding-window
// reductions over the spatial dims of an N x C x D1 x ... x Dn tensor, with
// explicit or automatic padding, strides, dilations and ceil mode. Also the
// internal kiln::MaxPoolChannelsLast / kiln::AveragePoolChannelsLast
// (conv_channels_last.h, int8_channels_last.h): 2-D pools whose input and
// output are channels-last in memory (NHWC; the shapes stay NCHW); and
// kiln::GlobalAveragePoolChannelsLast / GlobalMaxPoolChannelsLast, global
// pools of channels-last input.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

// Where each output position's window lies in the input, per spatial dim.
// Shared by all (n, c) planes.
struct PoolPlan {
  Shape out_spatial;
  // Per output position: flat input offset of the first valid tap and, per
  // dim, the number of valid taps; plus the divisor for AveragePool.
  std::vector<int64_t> first_offset;
  std::vector<int64_t> first_col_offset;  // same in column-major order (MaxPool storage_order=1)
  std::vector<int64_t> tap_counts;        // out_positions x rank
  std::vector<int64_t> pad_counts;        // taps including padding, product over dims
  std::vector<int64_t> tap_strides;       // per dim: input elements between taps (row-major)
  std::vector<int64_t> tap_col_strides;   // per dim, column-major
};

struct PoolAttributes {
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  // begin..., end...
  std::string auto_pad = "NOTSET";
  bool ceil_mode = false;
};

Status ReadPoolAttributes(const ir::Node& node, PoolAttributes& a) {
  a.kernel = node.GetInts("kernel_shape");
  const size_t rank = a.kernel.size();
  if (rank == 0) return Status::InvalidArgument("kernel_shape is required");
  a.strides = node.GetInts("strides", std::vector<int64_t>(rank, 1));
  a.dilations = node.GetInts("dilations", std::vector<int64_t>(rank, 1));
  a.pads = node.GetInts("pads", std::vector<int64_t>(2 * rank, 0));
  a.auto_pad = node.GetString("auto_pad", "NOTSET");
  a.ceil_mode = node.GetInt("ceil_mode", 0) != 0;
  if (a.strides.size() != rank || a.dilations.size() != rank || a.pads.size() != 2 * rank) {
    return Status::InvalidArgument("strides, dilations and pads must match kernel_shape's rank " +
                                   std::to_string(rank));
  }
  for (size_t i = 0; i < rank; ++i) {
    if (a.kernel[i] < 1 || a.strides[i] < 1 || a.dilations[i] < 1) {
      return Status::InvalidArgument("kernel_shape, strides and dilations must be positive");
    }
  }
  for (int64_t p : a.pads) {
    if (p < 0) return Status::InvalidArgument("pads must not be negative");
  }
  if (a.auto_pad != "NOTSET" && a.auto_pad != "SAME_UPPER" && a.auto_pad != "SAME_LOWER" && a.auto_pad != "VALID") {
    return Status::InvalidArgument("unknown auto_pad '" + a.auto_pad + "'");
  }
  return Status::Ok();
}

Result<PoolPlan> MakePoolPlan(const PoolAttributes& a, const Shape& in_shape) {
  const size_t rank = a.kernel.size();
  if (in_shape.size() != rank + 2) {
    return ShapeError("input of shape " + ShapeToString(in_shape) + " does not match kernel_shape of rank " +
                      std::to_string(rank));
  }
  PoolPlan plan;
  std::vector<int64_t> pad_begin(rank), pad_end(rank);
  plan.out_spatial.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = in_shape[d + 2];
    const int64_t span = (a.kernel[d] - 1) * a.dilations[d] + 1;
    const int64_t s = a.strides[d];
    int64_t out = 0;
    if (a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + span - in, 0);
      pad_begin[d] = a.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pad_end[d] = total - pad_begin[d];
    } else if (a.auto_pad == "VALID") {
      out = in >= span ? (in - span) / s + 1 : 0;
      pad_begin[d] = pad_end[d] = 0;
    } else {
      pad_begin[d] = a.pads[d];
      pad_end[d] = a.pads[d + rank];
      const int64_t room = in + pad_begin[d] + pad_end[d] - span;
      if (room < 0) {
        out = 0;
      } else if (a.ceil_mode) {
        out = (room + s - 1) / s + 1;
        // The last window must start inside the input or its leading padding.
        if ((out - 1) * s >= in + pad_begin[d]) --out;
      } else {
        out = room / s + 1;
      }
    }
    if (out <= 0) {
      return ShapeError("pooling window larger than padded input " + ShapeToString(in_shape));
    }
    plan.out_spatial[d] = out;
  }

  std::vector<int64_t> in_strides(rank, 1), col_strides(rank, 1);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d + 2];
  for (size_t d = 1; d < rank; ++d) col_strides[d] = col_strides[d - 1] * in_shape[d + 1];
  plan.tap_strides.resize(rank);
  plan.tap_col_strides.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    plan.tap_strides[d] = in_strides[d] * a.dilations[d];
    plan.tap_col_strides[d] = col_strides[d] * a.dilations[d];
  }

  // Per dim and output coordinate: first valid input coordinate, valid taps, taps with padding.
  std::vector<std::vector<int64_t>> first(rank), valid(rank), with_pad(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = in_shape[d + 2];
    const int64_t dil = a.dilations[d];
    const int64_t padded_end = in + pad_end[d];
    for (int64_t o = 0; o < plan.out_spatial[d]; ++o) {
      const int64_t start = o * a.strides[d] - pad_begin[d];
      // Taps k with start + k*dil in [0, in); with padding: in [-pad_begin, in + pad_end).
      int64_t k_lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
      int64_t k_hi = std::min(a.kernel[d], start < in ? (in - 1 - start) / dil + 1 : 0);
      int64_t k_pad_hi = std::min(a.kernel[d], start < padded_end ? (padded_end - 1 - start) / dil + 1 : 0);
      if (k_hi < k_lo) k_hi = k_lo;
      first[d].push_back(start + k_lo * dil);
      valid[d].push_back(k_hi - k_lo);
      with_pad[d].push_back(std::max<int64_t>(k_pad_hi, 0));
    }
  }

  const int64_t positions = NumElements(plan.out_spatial);
  plan.first_offset.resize(static_cast<size_t>(positions));
  plan.first_col_offset.resize(static_cast<size_t>(positions));
  plan.tap_counts.resize(static_cast<size_t>(positions) * rank);
  plan.pad_counts.resize(static_cast<size_t>(positions));
  std::vector<int64_t> coord(rank, 0);
  for (int64_t p = 0; p < positions; ++p) {
    int64_t offset = 0, col_offset = 0, pad_count = 1;
    for (size_t d = 0; d < rank; ++d) {
      const size_t o = static_cast<size_t>(coord[d]);
      offset += first[d][o] * in_strides[d];
      col_offset += first[d][o] * col_strides[d];
      plan.tap_counts[static_cast<size_t>(p) * rank + d] = valid[d][o];
      pad_count *= with_pad[d][o];
    }
    plan.first_offset[static_cast<size_t>(p)] = offset;
    plan.first_col_offset[static_cast<size_t>(p)] = col_offset;
    plan.pad_counts[static_cast<size_t>(p)] = pad_count;
    for (size_t d = rank; d-- > 0;) {
      if (++coord[d] < plan.out_spatial[d]) break;
      coord[d] = 0;
    }
  }
  return plan;
}

// Calls f(row_major_offset, col_major_offset) for every valid tap of window p.
template <typename F>
inline void ForEachTap(const PoolPlan& plan, int64_t p, F&& f) {
  const size_t rank = plan.tap_strides.size();
  const int64_t* counts = &plan.tap_counts[static_cast<size_t>(p) * rank];
  for (size_t d = 0; d < rank; ++d) {
    if (counts[d] == 0) return;
  }
  int64_t offset = plan.first_offset[static_cast<size_t>(p)];
  int64_t col_offset = plan.first_col_offset[static_cast<size_t>(p)];
  if (rank == 2) {  // the common 2-D window: two plain loops
    for (int64_t r = 0; r < counts[0]; ++r) {
      for (int64_t c = 0; c < counts[1]; ++c) {
        f(offset + r * plan.tap_strides[0] + c * plan.tap_strides[1],
          col_offset + r * plan.tap_col_strides[0] + c * plan.tap_col_strides[1]);
      }
    }
    return;
  }
  int64_t tap[8] = {0};
  std::vector<int64_t> tap_storage;
  int64_t* idx = tap;
  if (rank > 8) {
    tap_storage.assign(rank, 0);
    idx = tap_storage.data();
  }
  const size_t last = rank - 1;
  const int64_t inner_count = counts[last];
  const int64_t inner_stride = plan.tap_strides[last];
  const int64_t inner_col_stride = plan.tap_col_strides[last];
  while (true) {
    for (int64_t k = 0; k < inner_count; ++k) f(offset + k * inner_stride, col_offset + k * inner_col_stride);
    size_t d = last;
    while (true) {
      if (d == 0) return;
      --d;
      if (++idx[d] < counts[d]) {
        offset += plan.tap_strides[d];
        col_offset += plan.tap_col_strides[d];
        break;
      }
      offset -= (counts[d] - 1) * plan.tap_strides[d];
      col_offset -= (counts[d] - 1) * plan.tap_col_strides[d];
      idx[d] = 0;
    }
  }
}

class PoolKernel final : public OpKernel {
 public:
  PoolKernel(PoolKind kind, PoolAttributes attrs, bool count_include_pad, int64_t storage_order, double p)
      : kind_(kind), attrs_(std::move(attrs)), count_include_pad_(count_include_pad),
        storage_order_(storage_order), p_(p) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    KILN_ASSIGN_OR_RETURN(PoolPlan plan, MakePoolPlan(attrs_, x.shape()));
    Shape out_shape = {x.dim(0), x.dim(1)};
    out_shape.insert(out_shape.end(), plan.out_spatial.begin(), plan.out_spatial.end());
    const int64_t planes = x.dim(0) * x.dim(1);
    const int64_t in_plane = SizeFromDim(x.shape(), 2, x.shape().size());
    const int64_t positions = NumElements(plan.out_spatial);
    // Planes are independent: split them over the session's threads, a few
    // thousand output positions per task at least.
    const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(positions, 1));

    if (kind_ == PoolKind::kMax) {
      return DispatchType<AllNumericTypes>(x.dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        using C = ComputeType<T>;
        Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
        int64_t* indices = nullptr;
        if (ctx.wants_output(1)) indices = ctx.AllocateOutput(1, DataType::kInt64, out_shape).data<int64_t>();
        const T* src = x.data<T>();
        T* dst = y.data<T>();
        ParallelFor(ctx.thread_pool(), planes, grain, [&](int64_t first_plane, int64_t last_plane) {
          for (int64_t pl = first_plane; pl < last_plane; ++pl) {
            const T* in = src + pl * in_plane;
            for (int64_t p = 0; p < positions; ++p) {
              C best = std::numeric_limits<C>::lowest();
              int64_t best_row = -1, best_col = -1;
              ForEachTap(plan, p, [&](int64_t row, int64_t col) {
                const C v = static_cast<C>(in[row]);
                if (best_row < 0 || v > best) {
                  best = v;
                  best_row = row;
                  best_col = col;
                }
              });
              dst[pl * positions + p] = static_cast<T>(best);
              if (indices != nullptr) {  // -1 for a window that lies entirely in the padding
                indices[pl * positions + p] =
                    best_row < 0 ? -1 : pl * in_plane + (storage_order_ == 0 ? best_row : best_col);
              }
            }
          }
        });
        return Status::Ok();
      });
    }

    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      ParallelFor(ctx.thread_pool(), planes, grain, [&](int64_t first_plane, int64_t last_plane) {
        for (int64_t pl = first_plane; pl < last_plane; ++pl) {
          const T* in = src + pl * in_plane;
          for (int64_t p = 0; p < positions; ++p) {
            C acc = 0;
            int64_t count = 0;
            if (kind_ == PoolKind::kAverage) {
              ForEachTap(plan, p, [&](int64_t row, int64_t) {
                acc += static_cast<C>(in[row]);
                ++count;
              });
              const int64_t divisor = count_include_pad_ ? plan.pad_counts[static_cast<size_t>(p)] : count;
              dst[pl * positions + p] = static_cast<T>(divisor > 0 ? acc / static_cast<C>(divisor) : C(0));
            } else {
              const C p_exp = static_cast<C>(p_);
              ForEachTap(plan, p, [&](int64_t row, int64_t) {
                acc += std::pow(std::abs(static_cast<C>(in[row])), p_exp);
              });
              dst[pl * positions + p] = static_cast<T>(std::pow(acc, C(1) / p_exp));
            }
          }
        }
      });
    });
  }

 private:
  PoolKind kind_;
  PoolAttributes attrs_;
  bool count_include_pad_;
  int64_t storage_order_;
  double p_;
};

// out[c] = max(out[c], in[c]). Restrict-qualified: for byte types the
// compiler must otherwise assume that a store may change anything, and
// neither vectorizes nor keeps `n` in a register.
template <typename T>
void MaxRow(T* __restrict out, const T* __restrict in, int64_t n) {
  for (int64_t c = 0; c < n; ++c) out[c] = std::max(out[c], in[c]);
}

// MaxPool / AveragePool over channels-last data (float32; MaxPool also
// uint8/int8, the int8 chains of passes/int8_channels_last.h): every output
// position reduces its window's input rows of C channels into one output row
// of C channels (contiguous, so the inner loop vectorises); output positions
// are split over the session's threads.
class ChannelsLastPoolKernel final : public OpKernel {
 public:
  ChannelsLastPoolKernel(PoolKind kind, PoolAttributes attrs, bool count_include_pad)
      : kind_(kind), attrs_(std::move(attrs)), count_include_pad_(count_include_pad) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const bool int8 = x.dtype() == DataType::kUInt8 || x.dtype() == DataType::kInt8;
    if (x.dtype() != DataType::kFloat && !(int8 && kind_ == PoolKind::kMax)) {
      return Status::InvalidArgument(std::string("channels-last ") + (kind_ == PoolKind::kMax ? "max" : "average") +
                                     " pooling does not take " + std::string(DataTypeName(x.dtype())));
    }
    KILN_ASSIGN_OR_RETURN(PoolPlan plan, MakePoolPlan(attrs_, x.shape()));
    Shape out_shape = {x.dim(0), x.dim(1)};
    out_shape.insert(out_shape.end(), plan.out_spatial.begin(), plan.out_spatial.end());
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
    return DispatchType<TypeList<float, uint8_t, int8_t>>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Pool<T>(ctx, plan, x, y);
    });
  }

 private:
  template <typename T>
  void Pool(const KernelContext& ctx, const PoolPlan& plan, const Tensor& x, Tensor& y) const {
    const int64_t channels = x.dim(1);
    const int64_t in_positions = SizeFromDim(x.shape(), 2, x.shape().size());
    const int64_t positions = NumElements(plan.out_spatial);
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const bool max = kind_ == PoolKind::kMax;
    auto run = [&](int64_t first, int64_t last) {
      std::vector<const T*> taps;
      for (int64_t job = first; job < last; ++job) {  // job = n * positions + p
        const int64_t n = job / positions;
        const int64_t p = job % positions;
        const T* in = src + n * in_positions * channels;
        T* out = dst + job * channels;
        taps.clear();
        ForEachTap(plan, p, [&](int64_t row, int64_t) { taps.push_back(in + row * channels); });
        const auto count = static_cast<int64_t>(taps.size());
        if (count == 0) {  // a window entirely in the padding
          std::fill(out, out + channels, max ? std::numeric_limits<T>::lowest() : T(0));
          continue;
        }
        if constexpr (std::is_same_v<T, float>) {
          vec::ReduceRows(max ? vec::RowReduction::kMax : vec::RowReduction::kSum, taps.data(), count, out, channels);
          if (max) continue;
          const int64_t divisor = count_include_pad_ ? plan.pad_counts[static_cast<size_t>(p)] : count;
          const float scale = divisor > 0 ? 1.0f / static_cast<float>(divisor) : 0.0f;
          for (int64_t c = 0; c < channels; ++c) out[c] *= scale;
        } else {  // uint8 / int8: max only
          std::copy(taps[0], taps[0] + channels, out);
          for (int64_t t = 1; t < count; ++t) MaxRow(out, taps[static_cast<size_t>(t)], channels);
        }
      }
    };
    // One contiguous share of the positions per thread: neighbouring windows
    // overlap, so a thread then reads input rows its own earlier windows
    // brought into its cache rather than rows another core holds (resnet50's
    // max pool at 2 threads: 0.136-0.167 against 0.156-0.161 ms). At least
    // some tens of kilobytes of work per share.
    const int64_t jobs = x.dim(0) * positions;
    const int64_t threads = ctx.thread_pool() != nullptr ? ctx.thread_pool()->size() : 1;
    const int64_t grain = std::max<int64_t>((jobs + threads - 1) / threads, 8192 / std::max<int64_t>(channels, 1));
    ParallelFor(ctx.thread_pool(), jobs, grain, run);
  }

  PoolKind kind_;
  PoolAttributes attrs_;
  bool count_include_pad_;
};

Result<std::unique_ptr<OpKernel>> MakeChannelsLastPool(const KernelInit& init, PoolKind kind) {
  PoolAttributes attrs;
  KILN_RETURN_IF_ERROR(ReadPoolAttributes(init.node, attrs));
  if (attrs.kernel.size() != 2) return Status::InvalidArgument("channels-last pooling is 2-D only");
  return std::unique_ptr<OpKernel>(
      new ChannelsLastPoolKernel(kind, std::move(attrs), init.node.GetInt("count_include_pad", 0) != 0));
}

// LpPool's p: a float attribute in opset 1, an int from opset 2.
double ReadLpExponent(const KernelInit& init) {
  const ir::Attribute* attr = init.node.FindAttribute("p");
  if (attr == nullptr) return 2.0;
  return attr->type == ir::Attribute::Type::kFloat ? static_cast<double>(attr->f) : static_cast<double>(attr->i);
}

Result<std::unique_ptr<OpKernel>> MakePool(const KernelInit& init, PoolKind kind) {
  PoolAttributes attrs;
  KILN_RETURN_IF_ERROR(ReadPoolAttributes(init.node, attrs));
  const int64_t storage_order = init.node.GetInt("storage_order", 0);
  if (storage_order != 0 && storage_order != 1) return Status::InvalidArgument("storage_order must be 0 or 1");
  const double p = kind == PoolKind::kLp ? ReadLpExponent(init) : 0.0;
  if (kind == PoolKind::kLp && !(p > 0)) return Status::InvalidArgument("p must be positive");
  return std::unique_ptr<OpKernel>(new PoolKernel(kind, std::move(attrs),
                                                  init.node.GetInt("count_include_pad", 0) != 0, storage_order, p));
}

// A global pool's output shape: N and C of `in`, every other dimension 1.
Shape GlobalPoolShape(const Shape& in) {
  Shape out(in.size(), 1);
  out[0] = in[0];
  out[1] = in[1];
  return out;
}

// Global pools reduce each (n, c) plane to one value; output dims are all 1 past N, C.
class GlobalPoolKernel final : public OpKernel {
 public:
  GlobalPoolKernel(PoolKind kind, double p) : kind_(kind), p_(p) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.rank() < 2) return ShapeError("input must have rank >= 2, got " + ShapeToString(x.shape()));
    const Shape out_shape = GlobalPoolShape(x.shape());
    const int64_t planes = x.dim(0) * x.dim(1);
    const int64_t plane = SizeFromDim(x.shape(), 2, x.shape().size());
    auto run = [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (int64_t pl = 0; pl < planes; ++pl) {
        const T* in = src + pl * plane;
        C acc;
        if (kind_ == PoolKind::kMax) {
          acc = plane > 0 ? static_cast<C>(in[0]) : C(0);
          for (int64_t i = 1; i < plane; ++i) acc = std::max(acc, static_cast<C>(in[i]));
        } else if (kind_ == PoolKind::kAverage) {
          acc = 0;
          for (int64_t i = 0; i < plane; ++i) acc += static_cast<C>(in[i]);
          if (plane > 0) acc /= static_cast<C>(plane);
        } else {
          const C p_exp = static_cast<C>(p_);
          acc = 0;
          for (int64_t i = 0; i < plane; ++i) acc += std::pow(std::abs(static_cast<C>(in[i])), p_exp);
          acc = std::pow(acc, C(1) / p_exp);
        }
        dst[pl] = static_cast<T>(acc);
      }
    };
    return DispatchType<FloatTypes>(x.dtype(), run);
  }

 private:
  PoolKind kind_;
  double p_;
};

// kiln::GlobalAveragePoolChannelsLast / GlobalMaxPoolChannelsLast
// (conv_channels_last.h): the global pool over channels-last input (N,
// positions, C in memory; the shape stays NC...). Each image's positions are
// reduced into one row of C channels (contiguous, so the inner loop
// vectorises); the output, all spatial dimensions 1, is the same bytes as
// the planar operator's.
class ChannelsLastGlobalPoolKernel final : public OpKernel {
 public:
  explicit ChannelsLastGlobalPoolKernel(PoolKind kind) : kind_(kind) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    if (x.rank() < 3) return ShapeError("channels-last input must have rank >= 3, got " + ShapeToString(x.shape()));
    const Shape out_shape = GlobalPoolShape(x.shape());
    const int64_t channels = x.dim(1);
    const int64_t positions = SizeFromDim(x.shape(), 2, x.shape().size());
    auto run = [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
      if constexpr (std::is_same_v<T, float>) {
        if (positions > 0) {  // vectorized: every position's row reduced into the output row
          std::vector<const float*> rows(static_cast<size_t>(positions));
          for (int64_t n = 0; n < x.dim(0); ++n) {
            const float* in = x.data<float>() + n * positions * channels;
            for (int64_t p = 0; p < positions; ++p) rows[static_cast<size_t>(p)] = in + p * channels;
            float* out = y.data<float>() + n * channels;
            const bool max = kind_ == PoolKind::kMax;
            vec::ReduceRows(max ? vec::RowReduction::kMax : vec::RowReduction::kSum, rows.data(), positions, out,
                            channels);
            if (!max) {
              for (int64_t c = 0; c < channels; ++c) out[c] /= static_cast<float>(positions);
            }
          }
          return;
        }
      }
      std::vector<C> acc(static_cast<size_t>(channels));
      for (int64_t n = 0; n < x.dim(0); ++n) {
        const T* in = x.data<T>() + n * positions * channels;
        if (kind_ == PoolKind::kMax) {
          for (int64_t c = 0; c < channels; ++c) acc[c] = positions > 0 ? static_cast<C>(in[c]) : C(0);
          for (int64_t p = 1; p < positions; ++p) {
            const T* row = in + p * channels;
            for (int64_t c = 0; c < channels; ++c) acc[c] = std::max(acc[c], static_cast<C>(row[c]));
          }
        } else {
          std::fill(acc.begin(), acc.end(), C(0));
          for (int64_t p = 0; p < positions; ++p) {
            const T* row = in + p * channels;
            for (int64_t c = 0; c < channels; ++c) acc[c] += static_cast<C>(row[c]);
          }
          if (positions > 0) {
            for (C& a : acc) a /= static_cast<C>(positions);
          }
        }
        T* out = y.data<T>() + n * channels;
        for (int64_t c = 0; c < channels; ++c) out[c] = static_cast<T>(acc[c]);
      }
    };
    return DispatchType<FloatTypes>(x.dtype(), run);
  }

 private:
  PoolKind kind_;
};

Result<std::unique_ptr<OpKernel>> MakeGlobalPool(const KernelInit& init, PoolKind kind) {
  const double p = kind == PoolKind::kLp ? ReadLpExponent(init) : 0.0;
  if (kind == PoolKind::kLp && !(p > 0)) return Status::InvalidArgument("p must be positive");
  return std::unique_ptr<OpKernel>(new GlobalPoolKernel(kind, p));
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMaxPool(const KernelInit& init) { return MakePool(init, PoolKind::kMax); }
Result<std::unique_ptr<OpKernel>> MakeAveragePool(const KernelInit& init) {
  return MakePool(init, PoolKind::kAverage);
}
Result<std::unique_ptr<OpKernel>> MakeLpPool(const KernelInit& init) { return MakePool(init, PoolKind::kLp); }
Result<std::unique_ptr<OpKernel>> MakeMaxPoolChannelsLast(const KernelInit& init) {
  return MakeChannelsLastPool(init, PoolKind::kMax);
}
Result<std::unique_ptr<OpKernel>> MakeAveragePoolChannelsLast(const KernelInit& init) {
  return MakeChannelsLastPool(init, PoolKind::kAverage);
}
Result<std::unique_ptr<OpKernel>> MakeGlobalMaxPool(const KernelInit& init) {
  return MakeGlobalPool(init, PoolKind::kMax);
}
Result<std::unique_ptr<OpKernel>> MakeGlobalAveragePool(const KernelInit& init) {
  return MakeGlobalPool(init, PoolKind::kAverage);
}
Result<std::unique_ptr<OpKernel>> MakeGlobalLpPool(const KernelInit& init) {
  return MakeGlobalPool(init, PoolKind::kLp);
}
Result<std::unique_ptr<OpKernel>> MakeGlobalAveragePoolChannelsLast(const KernelInit&) {
  return std::unique_ptr<OpKernel>(new ChannelsLastGlobalPoolKernel(PoolKind::kAverage));
}
Result<std::unique_ptr<OpKernel>> MakeGlobalMaxPoolChannelsLast(const KernelInit&) {
  return std::unique_ptr<OpKernel>(new ChannelsLastGlobalPoolKernel(PoolKind::kMax));
}

}  // namespace kiln::cpu
