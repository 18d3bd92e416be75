#include "engine/kernels/cpu/broadcast.h"

namespace kiln::cpu {

Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    size_t pad = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t& o = out[pad + d];
      if (s[d] == o) continue;
      if (o == 1) {
        o = s[d];
      } else if (s[d] != 1) {
        std::string list;
        for (const auto& t : shapes) list += (list.empty() ? "" : " and ") + ShapeToString(t);
        return Status::InvalidArgument("shapes " + list + " cannot be broadcast together");
      }
    }
  }
  return out;
}

std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  size_t pad = out.size() - in.size();
  int64_t stride = 1;
  for (size_t d = in.size(); d-- > 0;) {
    strides[pad + d] = in[d] == 1 ? 0 : stride;
    stride *= in[d];
  }
  return strides;
}

}  // namespace kiln::cpu

namespace kiln::cpu {

Result<Shape> LegacyBroadcastShape(const Shape& a, const Shape& b, int64_t axis, bool has_axis) {
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  if (rb > ra) return Status::InvalidArgument("legacy broadcast: B has a higher rank than A");
  // Without an axis, B is aligned to A's trailing dimensions.
  int64_t start = has_axis ? (axis < 0 ? axis + ra : axis) : ra - rb;
  if (start < 0 || start + rb > ra) return Status::InvalidArgument("legacy broadcast: axis out of range");
  Shape out(static_cast<size_t>(ra), 1);
  for (int64_t d = 0; d < rb; ++d) out[static_cast<size_t>(start + d)] = b[static_cast<size_t>(d)];
  return out;
}

}  // namespace kiln::cpu
