// Split: cuts a tensor into parts along an axis, by explicit sizes (the
// `split` attribute before opset 13, an input from 13 and in opset 1) or
// into equal parts (the last one smaller when `num_outputs` is given).
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/elementwise_chunks.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/strided_copy.h"

namespace kiln::cpu {
namespace {

class SplitKernel final : public OpKernel {
 public:
  explicit SplitKernel(const KernelInit& init)
      : axis_(init.node.GetInt("axis", 0)),
        split_from_input_(init.opset == 1 || init.opset >= 13),
        split_attribute_(init.node.GetInts("split")),
        num_outputs_(init.node.GetInt("num_outputs", 0)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& in = ctx.input(0);
    const Shape& s = in.shape();
    if (in.rank() == 0) return ShapeError("cannot split a scalar");
    KILN_ASSIGN_OR_RETURN(const int64_t axis64, NormalizeAxis(axis_, in.rank()));
    const size_t axis = static_cast<size_t>(axis64);
    const int64_t dim = s[axis];
    const int outputs = ctx.num_outputs();
    std::vector<int64_t> split = split_attribute_;
    if (split_from_input_ && ctx.has_input(1)) split = ctx.input(1).ToInt64Vector();
    if (split.empty()) {
      if (outputs == 0) return ShapeError("Split has no outputs");
      if (num_outputs_ > 0) {
        const int64_t chunk = (dim + num_outputs_ - 1) / num_outputs_;
        for (int i = 0; i < outputs; ++i) split.push_back(std::max<int64_t>(0, std::min(chunk, dim - chunk * i)));
      } else {
        if (dim % outputs != 0) {
          return ShapeError("axis of size " + std::to_string(dim) + " cannot be split into " +
                            std::to_string(outputs) + " equal parts");
        }
        split.assign(static_cast<size_t>(outputs), dim / outputs);
      }
    }
    if (static_cast<int>(split.size()) != outputs) {
      return ShapeError("split has " + std::to_string(split.size()) + " entries for " + std::to_string(outputs) +
                        " outputs");
    }
    int64_t total = 0;
    for (int64_t part : split) {
      if (part < 0) return ShapeError("split sizes must not be negative");
      // Checked against what is left, so that huge sizes cannot wrap the sum.
      if (part > dim - total) {
        return ShapeError("split sizes " + ShapeToString(split) + " exceed the axis size " + std::to_string(dim));
      }
      total += part;
    }
    if (total != dim) {
      return ShapeError("split sizes sum to " + std::to_string(total) + " but the axis has size " +
                        std::to_string(dim));
    }
    const int64_t outer = SizeFromDim(s, 0, axis);
    const int64_t inner = SizeFromDim(s, axis + 1, s.size());
    const int64_t in_block = dim * inner;
    struct Part {
      Tensor* out;
      int64_t offset, block;  // within each of the `outer` input blocks
    };
    std::vector<Part> parts;
    int64_t offset = 0;
    for (int i = 0; i < outputs; ++i) {
      const int64_t block = split[static_cast<size_t>(i)] * inner;
      if (ctx.wants_output(i)) {
        Shape part_shape = s;
        part_shape[axis] = split[static_cast<size_t>(i)];
        parts.push_back({&ctx.AllocateOutput(i, in.dtype(), std::move(part_shape)), offset, block});
      }
      offset += block;
    }
    // Large inputs (a transformer's fused Q/K/V projection: 128 x 2304
    // floats) are copied by the session's threads, a range of outer blocks each.
    ForEachRowChunk(ctx.thread_pool(), outer, in_block, [&](int64_t first, int64_t last) {
      for (const Part& part : parts) {
        CopyStrided(in.dtype(), {last - first, part.block}, ElementAt(in, first * in_block + part.offset),
                    {in_block, 1}, ElementAt(*part.out, first * part.block), {part.block, 1});
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_;
  bool split_from_input_;
  std::vector<int64_t> split_attribute_;
  int64_t num_outputs_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSplit(const KernelInit& init) { return MakeKernel<SplitKernel>(init); }

}  // namespace kiln::cpu
