#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& what) {
  int64_t lo = -rank, hi = rank - 1;
  if (rank == 0) { lo = -1; hi = 0; }
  if (axis < lo || axis > hi) {
    return Status::InvalidArgument(what + " " + std::to_string(axis) + " is out of range for rank " +
                                   std::to_string(rank));
  }
  return axis < 0 ? axis + std::max<int64_t>(rank, 1) : axis;
}

std::vector<int64_t> InputAsInt64s(const KernelContext& ctx, int i) {
  if (!ctx.has_input(i)) return {};
  const Value& v = ctx.input_value(i);
  if (!v.is_tensor()) return {};
  return v.tensor().ToInt64Vector();
}

}  // namespace kiln::cpu
