#include "engine/kernels/cpu/conv_util.h"

namespace kiln::cpu {
namespace {

// Floor division (rounds toward negative infinity), for possibly negative pads.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

std::string ListToString(const std::vector<int64_t>& v) { return ShapeToString(v); }

// Fills defaults for strides/dilations/pads/kernel and checks their lengths.
Status ResolveCommon(const ConvAttributes& attrs, const Shape& x, const Shape& w, ConvGeometry& g) {
  if (x.size() < 3) return Status::InvalidArgument("input must have rank >= 3, got " + ShapeToString(x));
  if (w.size() != x.size()) {
    return Status::InvalidArgument("weight rank " + std::to_string(w.size()) + " differs from input rank " +
                                   std::to_string(x.size()));
  }
  const size_t nd = x.size() - 2;
  g.batch = x[0];
  g.in_channels = x[1];
  g.group = attrs.group;
  g.kernel.assign(w.begin() + 2, w.end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != g.kernel) {
    return Status::InvalidArgument("kernel_shape " + ListToString(attrs.kernel_shape) +
                                   " does not match the weight shape " + ShapeToString(w));
  }
  g.strides = attrs.strides.empty() ? Shape(nd, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? Shape(nd, 1) : attrs.dilations;
  if (g.strides.size() != nd || g.dilations.size() != nd) {
    return Status::InvalidArgument("strides and dilations must have " + std::to_string(nd) + " values");
  }
  if (!attrs.pads.empty() && attrs.pads.size() != 2 * nd) {
    return Status::InvalidArgument("pads must have " + std::to_string(2 * nd) + " values, got " +
                                   ListToString(attrs.pads));
  }
  g.pads_begin.assign(nd, 0);
  g.pads_end.assign(nd, 0);
  if (!attrs.pads.empty() && (attrs.auto_pad == "NOTSET" || attrs.auto_pad.empty())) {
    for (size_t d = 0; d < nd; ++d) {
      g.pads_begin[d] = attrs.pads[d];
      g.pads_end[d] = attrs.pads[nd + d];
    }
  }
  for (size_t d = 0; d < nd; ++d) {
    if (g.kernel[d] < 1) return Status::InvalidArgument("kernel dimensions must be positive, got " + ShapeToString(w));
    if (x[d + 2] < 0) return Status::InvalidArgument("negative input dimension in " + ShapeToString(x));
  }
  return Status::Ok();
}

}  // namespace

Result<ConvAttributes> ConvAttributes::FromNode(const ir::Node& node) {
  ConvAttributes a;
  a.auto_pad = node.GetString("auto_pad", "NOTSET");
  a.kernel_shape = node.GetInts("kernel_shape");
  a.strides = node.GetInts("strides");
  a.dilations = node.GetInts("dilations");
  a.pads = node.GetInts("pads");
  a.output_padding = node.GetInts("output_padding");
  a.output_shape = node.GetInts("output_shape");
  a.group = node.GetInt("group", 1);
  if (a.auto_pad != "NOTSET" && a.auto_pad != "SAME_UPPER" && a.auto_pad != "SAME_LOWER" && a.auto_pad != "VALID") {
    return Status::InvalidArgument("unknown auto_pad '" + a.auto_pad + "'");
  }
  if (a.group < 1) return Status::InvalidArgument("group must be positive, got " + std::to_string(a.group));
  for (int64_t s : a.strides)
    if (s < 1) return Status::InvalidArgument("strides must be positive, got " + ShapeToString(a.strides));
  for (int64_t d : a.dilations)
    if (d < 1) return Status::InvalidArgument("dilations must be positive, got " + ShapeToString(a.dilations));
  for (int64_t p : a.pads)
    if (p < 0) return Status::InvalidArgument("pads must not be negative, got " + ShapeToString(a.pads));
  for (int64_t p : a.output_padding)
    if (p < 0) return Status::InvalidArgument("output_padding must not be negative");
  return a;
}

bool ConvGeometry::IsPointwise() const {
  for (size_t d = 0; d < kernel.size(); ++d) {
    if (kernel[d] != 1 || strides[d] != 1 || pads_begin[d] != 0 || pads_end[d] != 0) return false;
  }
  return true;
}

Result<ConvGeometry> ConvGeometryFor(const ConvAttributes& attrs, const Shape& x, const Shape& w) {
  ConvGeometry g;
  KILN_RETURN_IF_ERROR(ResolveCommon(attrs, x, w, g));
  g.out_channels = w[0];
  if (w[1] * g.group != g.in_channels) {
    return Status::InvalidArgument("input has " + std::to_string(g.in_channels) + " channels but weight " +
                                   ShapeToString(w) + " with group " + std::to_string(g.group) + " expects " +
                                   std::to_string(w[1] * g.group));
  }
  if (g.out_channels % g.group != 0) {
    return Status::InvalidArgument("output channels " + std::to_string(g.out_channels) +
                                   " are not divisible by group " + std::to_string(g.group));
  }
  const size_t nd = x.size() - 2;
  g.image.assign(x.begin() + 2, x.end());
  g.grid.resize(nd);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t in = g.image[d];
    const int64_t extent = (g.kernel[d] - 1) * g.dilations[d] + 1;
    if (attrs.auto_pad == "SAME_UPPER" || attrs.auto_pad == "SAME_LOWER") {
      const int64_t out = (in + g.strides[d] - 1) / g.strides[d];
      const int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[d] + extent - in);
      g.pads_begin[d] = attrs.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pads_end[d] = total - g.pads_begin[d];
    }
    const int64_t padded = in + g.pads_begin[d] + g.pads_end[d];
    if (padded < extent) {
      return Status::InvalidArgument("kernel extent " + std::to_string(extent) + " exceeds padded input size " +
                                     std::to_string(padded) + " on spatial axis " + std::to_string(d));
    }
    g.grid[d] = (padded - extent) / g.strides[d] + 1;
  }
  return g;
}

Result<ConvGeometry> ConvTransposeGeometryFor(const ConvAttributes& attrs, const Shape& x, const Shape& w) {
  ConvGeometry g;
  KILN_RETURN_IF_ERROR(ResolveCommon(attrs, x, w, g));
  if (w[0] != g.in_channels) {
    return Status::InvalidArgument("input has " + std::to_string(g.in_channels) + " channels but weight " +
                                   ShapeToString(w) + " expects " + std::to_string(w[0]));
  }
  if (g.in_channels % g.group != 0) {
    return Status::InvalidArgument("input channels " + std::to_string(g.in_channels) +
                                   " are not divisible by group " + std::to_string(g.group));
  }
  g.out_channels = w[1] * g.group;
  const size_t nd = x.size() - 2;
  Shape output_padding = attrs.output_padding.empty() ? Shape(nd, 0) : attrs.output_padding;
  if (output_padding.size() != nd) {
    return Status::InvalidArgument("output_padding must have " + std::to_string(nd) + " values");
  }
  Shape output_shape = attrs.output_shape;
  if (output_shape.size() == nd + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != nd) {
    return Status::InvalidArgument("output_shape must have " + std::to_string(nd) + " values, got " +
                                   ShapeToString(attrs.output_shape));
  }
  const bool same = attrs.auto_pad == "SAME_UPPER" || attrs.auto_pad == "SAME_LOWER";
  g.grid.assign(x.begin() + 2, x.end());
  g.image.resize(nd);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t in = g.grid[d];
    const int64_t full = g.strides[d] * (in - 1) + output_padding[d] + (g.kernel[d] - 1) * g.dilations[d] + 1;
    if (!output_shape.empty() || same) {
      const int64_t target = !output_shape.empty() ? output_shape[d] : in * g.strides[d];
      const int64_t total = full - target;
      if (attrs.auto_pad == "SAME_UPPER") {
        g.pads_begin[d] = FloorDiv(total, 2);
        g.pads_end[d] = total - g.pads_begin[d];
      } else {
        g.pads_end[d] = FloorDiv(total, 2);
        g.pads_begin[d] = total - g.pads_end[d];
      }
    }
    g.image[d] = full - g.pads_begin[d] - g.pads_end[d];
    if (g.image[d] < 0) {
      return Status::InvalidArgument("pads exceed the output size on spatial axis " + std::to_string(d));
    }
  }
  return g;
}

Status CheckConvBias(const KernelContext& ctx, const Tensor& x, int64_t out_channels) {
  if (!ctx.has_input(2)) return Status::Ok();
  const Tensor& b = ctx.input(2);
  if (b.dtype() != x.dtype() || b.num_elements() != out_channels) {
    return Status::InvalidArgument("bias must have " + std::to_string(out_channels) +
                                   " elements of the input type, got shape " + ShapeToString(b.shape()));
  }
  return Status::Ok();
}

}  // namespace kiln::cpu
