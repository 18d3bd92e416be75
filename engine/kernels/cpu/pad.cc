// Pad: grows (or, with negative pads, crops) a tensor at both ends of each
// axis, filling with a constant, the edge value, or a mirror image
// (reflect). Pads and value are attributes before opset 11, inputs after.
#include <algorithm>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

// Source index along one axis for output index `o`, or -1 for the constant.
int64_t SourceIndex(PadMode mode, int64_t o, int64_t begin, int64_t dim) {
  int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return std::clamp<int64_t>(i, 0, dim - 1);
    case PadMode::kReflect: {
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      i = ((i % period) + period) % period;
      return i < dim ? i : period - i;
    }
  }
  return -1;
}

class PadKernel final : public OpKernel {
 public:
  PadKernel(PadMode mode, bool from_inputs, std::vector<int64_t> pads, double value)
      : mode_(mode), from_inputs_(from_inputs), pads_(std::move(pads)), value_(value) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const Shape& s = in.shape();
    const size_t rank = s.size();
    std::vector<int64_t> pads = pads_;
    const Tensor* constant = nullptr;
    if (from_inputs_) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      pads = ctx.input(1).ToInt64Vector();
      if (ctx.has_input(2)) {
        constant = &ctx.input(2);
        if (constant->num_elements() != 1) return ShapeError("constant_value must be a scalar");
        if ((constant->dtype() == DataType::kString) != (in.dtype() == DataType::kString)) {
          return ShapeError("constant_value and data have different data types");
        }
      }
    }
    if (pads.size() != 2 * rank) {
      return ShapeError("pads has " + std::to_string(pads.size()) + " entries for an input of rank " +
                        std::to_string(rank));
    }
    Shape out_shape(rank);
    for (size_t d = 0; d < rank; ++d) {
      if (__builtin_add_overflow(s[d], pads[d], &out_shape[d]) ||
          __builtin_add_overflow(out_shape[d], pads[d + rank], &out_shape[d])) {
        return ShapeError("pads " + std::to_string(pads[d]) + ", " + std::to_string(pads[d + rank]) +
                          " overflow axis " + std::to_string(d));
      }
      if (out_shape[d] < 0) return ShapeError("pads shrink axis " + std::to_string(d) + " below zero");
      if (mode_ != PadMode::kConstant && s[d] == 0 && out_shape[d] > 0) {
        return ShapeError("cannot pad an empty axis in this mode");
      }
    }
    KILN_RETURN_IF_ERROR(CheckOutputShape(out_shape, in.dtype(), "padded shape"));
    Tensor& out = ctx.AllocateOutput(0, in.dtype(), out_shape);
    if (out.num_elements() == 0) return Status::Ok();
    if (rank == 0) {
      CopyStrided(in.dtype(), {}, in.raw_data(), {}, out.raw_data(), {});
      return Status::Ok();
    }
    // Per-axis maps from output index to input index (-1: constant).
    std::vector<std::vector<int64_t>> maps(rank);
    for (size_t d = 0; d < rank; ++d) {
      maps[d].resize(static_cast<size_t>(out_shape[d]));
      for (int64_t o = 0; o < out_shape[d]; ++o) maps[d][static_cast<size_t>(o)] = SourceIndex(mode_, o, pads[d], s[d]);
    }
    const std::vector<int64_t> in_strides = ContiguousStrides(s);
    return DispatchType<AllTypes>(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T fill{};
      if constexpr (std::is_same_v<T, std::string>) {
        if (constant) fill = constant->data<std::string>()[0];
      } else {
        const double value = constant ? constant->GetDouble(0) : value_;
        fill = static_cast<T>(static_cast<ComputeType<T>>(value));
      }
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      const int64_t inner = out_shape[rank - 1];
      const std::vector<int64_t>& inner_map = maps[rank - 1];
      const int64_t inner_begin = pads[rank - 1];
      const int64_t mid_begin = std::clamp<int64_t>(inner_begin, 0, inner);
      const int64_t mid_end = std::clamp<int64_t>(inner_begin + s[rank - 1], mid_begin, inner);
      std::vector<int64_t> index(rank - 1, 0);
      const int64_t outer = out.num_elements() / inner;
      for (int64_t o = 0; o < outer; ++o, dst += inner) {
        int64_t base = 0;
        bool inside = true;
        for (size_t d = 0; d + 1 < rank; ++d) {
          const int64_t m = maps[d][static_cast<size_t>(index[d])];
          if (m < 0) inside = false;
          base += m * in_strides[d];
        }
        if (!inside) {
          std::fill(dst, dst + inner, fill);
        } else {
          // Output columns [mid_begin, mid_end) copy the input row unchanged.
          const T* row = src + base;
          auto edge = [&](int64_t k) {
            const int64_t m = inner_map[static_cast<size_t>(k)];
            dst[k] = m < 0 ? fill : row[m];
          };
          for (int64_t k = 0; k < mid_begin; ++k) edge(k);
          std::copy(row + (mid_begin - inner_begin), row + (mid_end - inner_begin), dst + mid_begin);
          for (int64_t k = mid_end; k < inner; ++k) edge(k);
        }
        for (size_t d = rank - 1; d-- > 0;) {
          if (++index[d] < out_shape[d]) break;
          index[d] = 0;
        }
      }
    });
  }

 private:
  PadMode mode_;
  bool from_inputs_;
  std::vector<int64_t> pads_;
  double value_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakePad(const KernelInit& init) {
  const std::string mode_name = init.node.GetString("mode", "constant");
  PadMode mode;
  if (mode_name == "constant") {
    mode = PadMode::kConstant;
  } else if (mode_name == "reflect") {
    mode = PadMode::kReflect;
  } else if (mode_name == "edge") {
    mode = PadMode::kEdge;
  } else {
    return Status::InvalidArgument("unknown pad mode '" + mode_name + "'");
  }
  const bool from_inputs = init.opset >= 11;
  std::vector<int64_t> pads;
  if (!from_inputs) {
    const char* key = init.opset < 2 ? "paddings" : "pads";
    if (!init.node.HasAttribute(key)) return Status::InvalidArgument(std::string("missing attribute ") + key);
    pads = init.node.GetInts(key);
  }
  const double value = init.node.GetFloat("value", 0.0f);
  return std::unique_ptr<OpKernel>(new PadKernel(mode, from_inputs, std::move(pads), value));
}

}  // namespace kiln::cpu
