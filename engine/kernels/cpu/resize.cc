// Resize (opset 10-17) and the deprecated Upsample (opset 1-9): N-d nearest,
// (multi)linear and cubic interpolation, each output dim mapped back to the
// input by a coordinate transformation mode.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"

namespace kiln::cpu {
namespace {

enum class InterpMode { kNearest, kLinear, kCubic };
enum class CoordMode { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
// kLegacy: Resize-10 and Upsample: floor when upsampling, ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kLegacy };

struct ResizeOptions {
  InterpMode mode = InterpMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
};

// The input taps (indices along the dim and weights) each output coordinate of one dim reads.
struct DimTaps {
  static constexpr int kMaxTaps = 4;
  std::vector<int64_t> indices;  // out_len x kMaxTaps
  std::vector<double> weights;   // out_len x kMaxTaps
  std::vector<int> counts;       // out_len; 0 means "outside the crop: use extrapolation_value"
  bool identity = false;         // every output coordinate reads the same input coordinate only

  const int64_t* IndicesAt(int64_t x) const { return &indices[static_cast<size_t>(x) * kMaxTaps]; }
  const double* WeightsAt(int64_t x) const { return &weights[static_cast<size_t>(x) * kMaxTaps]; }
};

// Maps output coordinate x of a dim to input space.
double OriginalCoordinate(CoordMode mode, double x, double scale, int64_t in_len, double out_len, double roi_start,
                          double roi_end) {
  switch (mode) {
    case CoordMode::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case CoordMode::kPytorchHalfPixel: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners:
      return out_len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (out_len - 1);
    case CoordMode::kAsymmetric: return x / scale;
    case CoordMode::kTfHalfPixelForNn: return (x + 0.5) / scale;
    case CoordMode::kTfCropAndResize: {
      const double in_span = static_cast<double>(in_len - 1);
      const double start = roi_start * in_span;
      if (out_len == 1) return start + (roi_end - roi_start) * in_span / 2;
      return start + x * (roi_end - roi_start) * in_span / (out_len - 1);
    }
  }
  return 0.0;
}

void CubicCoefficients(double t, double a, double c[4]) {
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };          // |d| <= 1
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };   // 1 < |d| < 2
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

int64_t NearestIndex(NearestMode mode, double x, double scale) {
  const double fl = std::floor(x);
  const double frac = x - fl;
  switch (mode) {
    case NearestMode::kRoundPreferFloor: return static_cast<int64_t>(frac <= 0.5 ? fl : fl + 1);
    case NearestMode::kRoundPreferCeil: return static_cast<int64_t>(frac < 0.5 ? fl : fl + 1);
    case NearestMode::kFloor: return static_cast<int64_t>(fl);
    case NearestMode::kCeil: return static_cast<int64_t>(std::ceil(x));
    case NearestMode::kLegacy: return static_cast<int64_t>(scale < 1 ? std::ceil(x) : fl);
  }
  return 0;
}

DimTaps MakeDimTaps(const ResizeOptions& o, int64_t in_len, int64_t out_len, double out_len_exact, double scale,
                    double roi_start, double roi_end) {
  DimTaps taps;
  taps.indices.assign(static_cast<size_t>(out_len) * DimTaps::kMaxTaps, 0);
  taps.weights.assign(static_cast<size_t>(out_len) * DimTaps::kMaxTaps, 0.0);
  taps.counts.assign(static_cast<size_t>(out_len), 0);
  auto clamp = [in_len](int64_t i) { return std::clamp<int64_t>(i, 0, in_len - 1); };
  for (int64_t x = 0; x < out_len; ++x) {
    double xo = OriginalCoordinate(o.coord, static_cast<double>(x), scale, in_len, out_len_exact, roi_start, roi_end);
    const size_t base = static_cast<size_t>(x) * DimTaps::kMaxTaps;
    // Outside the crop (or not a number): the output takes extrapolation_value.
    if (!std::isfinite(xo)) continue;
    if (o.coord == CoordMode::kTfCropAndResize && (xo < 0 || xo > static_cast<double>(in_len - 1))) continue;
    // Beyond this range every tap is already clamped to the edge (or excluded); keeps the index math in range.
    xo = std::clamp(xo, -3.0, static_cast<double>(in_len + 2));
    int64_t idx[4];
    double w[4];
    int n = 0;
    if (o.mode == InterpMode::kNearest) {
      idx[0] = NearestIndex(o.nearest, xo, scale);
      w[0] = 1.0;
      n = 1;
    } else {
      const double fl = std::floor(xo);
      const double t = xo - fl;
      const int64_t i0 = static_cast<int64_t>(fl);
      if (o.mode == InterpMode::kLinear) {
        idx[0] = i0;
        idx[1] = i0 + 1;
        w[0] = 1 - t;
        w[1] = t;
        n = 2;
      } else {
        CubicCoefficients(t, o.cubic_a, w);
        for (int k = 0; k < 4; ++k) idx[k] = i0 - 1 + k;
        n = 4;
        if (o.exclude_outside) {
          double sum = 0;
          for (int k = 0; k < 4; ++k) {
            if (idx[k] < 0 || idx[k] >= in_len) w[k] = 0;
            sum += w[k];
          }
          if (sum != 0) {
            for (int k = 0; k < 4; ++k) w[k] /= sum;
          }
        }
      }
    }
    // Out-of-range neighbours read the edge; taps of weight 0 are dropped.
    int kept = 0;
    for (int k = 0; k < n; ++k) {
      if (w[k] == 0 && n > 1) continue;
      taps.indices[base + static_cast<size_t>(kept)] = clamp(idx[k]);
      taps.weights[base + static_cast<size_t>(kept)] = w[k];
      ++kept;
    }
    if (kept == 0) {  // all weights cancelled: read the nearest edge element with weight 0
      taps.indices[base] = clamp(idx[0]);
      taps.weights[base] = 0;
      kept = 1;
    }
    taps.counts[static_cast<size_t>(x)] = kept;
  }
  taps.identity = in_len == out_len;
  for (int64_t x = 0; x < out_len && taps.identity; ++x) {
    taps.identity = taps.counts[static_cast<size_t>(x)] == 1 && *taps.IndicesAt(x) == x && *taps.WeightsAt(x) == 1.0;
  }
  return taps;
}

template <typename T>
T FromDouble(double v) {
  if constexpr (kIsFloat<T>) {
    return static_cast<T>(static_cast<ComputeType<T>>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    const double r = std::nearbyint(v);
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

// One separable pass: interpolates along `axis` of `src` (shape `shape`),
// writing the result with that dim resized to taps' length into `dst`.
void InterpolateAxis(const std::vector<double>& src, const Shape& shape, size_t axis, const DimTaps& taps,
                     int64_t out_len, std::vector<double>& dst) {
  const int64_t outer = SizeFromDim(shape, 0, axis);
  const int64_t in_len = shape[axis];
  const int64_t inner = SizeFromDim(shape, axis + 1, shape.size());
  dst.assign(static_cast<size_t>(outer * out_len * inner), 0.0);
  for (int64_t o = 0; o < outer; ++o) {
    const double* in = src.data() + o * in_len * inner;
    double* out = dst.data() + o * out_len * inner;
    for (int64_t x = 0; x < out_len; ++x) {
      const int64_t* idx = taps.IndicesAt(x);
      const double* w = taps.WeightsAt(x);
      double* row = out + x * inner;
      for (int k = 0; k < taps.counts[static_cast<size_t>(x)]; ++k) {
        const double* from = in + idx[k] * inner;
        const double wk = w[k];
        for (int64_t i = 0; i < inner; ++i) row[i] += wk * from[i];
      }
    }
  }
}

// Resizes x to out_shape. `scales` per dim; `sized` says output lengths came
// from a sizes input (then they are exact) rather than from scales; `roi`
// holds starts then ends (tf_crop_and_resize only; may be empty).
// Nearest gathers elements; linear and cubic interpolate one dim at a time in double.
Status Interpolate(KernelContext& ctx, const ResizeOptions& o, const Tensor& x, const Shape& out_shape,
                   const std::vector<double>& scales, bool sized, const std::vector<double>& roi) {
  const size_t rank = out_shape.size();
  KILN_RETURN_IF_ERROR(CheckOutputShape(out_shape, x.dtype(), "output shape"));
  Tensor& y = ctx.AllocateOutput(0, x.dtype(), out_shape);
  if (y.num_elements() == 0) return Status::Ok();
  if (x.num_elements() == 0) return ShapeError("cannot resize an empty tensor to a non-empty shape");

  std::vector<DimTaps> taps;
  taps.reserve(rank);
  bool any_outside = false;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in_len = x.dim(static_cast<int>(d));
    const double out_exact = sized ? static_cast<double>(out_shape[d]) : scales[d] * static_cast<double>(in_len);
    const double roi_start = roi.size() == 2 * rank ? roi[d] : 0.0;
    const double roi_end = roi.size() == 2 * rank ? roi[d + rank] : 1.0;
    taps.push_back(MakeDimTaps(o, in_len, out_shape[d], out_exact, scales[d], roi_start, roi_end));
    any_outside |= std::find(taps.back().counts.begin(), taps.back().counts.end(), 0) != taps.back().counts.end();
  }
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * x.dim(static_cast<int>(d));

  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const int64_t total = y.num_elements();
    if (o.mode == InterpMode::kNearest) {
      std::vector<int64_t> coord(rank, 0);
      for (int64_t i = 0; i < total; ++i) {
        int64_t offset = 0;
        for (size_t d = 0; d < rank; ++d) offset += taps[d].IndicesAt(coord[d])[0] * in_strides[d];
        dst[i] = src[offset];
        for (size_t d = rank; d-- > 0;) {
          if (++coord[d] < out_shape[d]) break;
          coord[d] = 0;
        }
      }
    } else {
      std::vector<double> current(static_cast<size_t>(x.num_elements())), next;
      for (int64_t i = 0; i < x.num_elements(); ++i) {
        current[static_cast<size_t>(i)] = static_cast<double>(static_cast<ComputeType<T>>(src[i]));
      }
      Shape shape = x.shape();
      for (size_t d = 0; d < rank; ++d) {
        if (taps[d].identity) continue;
        InterpolateAxis(current, shape, d, taps[d], out_shape[d], next);
        shape[d] = out_shape[d];
        current.swap(next);
      }
      for (int64_t i = 0; i < total; ++i) dst[i] = FromDouble<T>(current[static_cast<size_t>(i)]);
    }
    if (any_outside) {  // tf_crop_and_resize: points outside the input take extrapolation_value
      const T extrapolated = FromDouble<T>(o.extrapolation_value);
      std::vector<int64_t> coord(rank, 0);
      for (int64_t i = 0; i < total; ++i) {
        for (size_t d = 0; d < rank; ++d) {
          if (taps[d].counts[static_cast<size_t>(coord[d])] == 0) {
            dst[i] = extrapolated;
            break;
          }
        }
        for (size_t d = rank; d-- > 0;) {
          if (++coord[d] < out_shape[d]) break;
          coord[d] = 0;
        }
      }
    }
  };
  if (o.mode == InterpMode::kNearest) return DispatchType<NumericAndBoolTypes>(x.dtype(), run);
  return DispatchType<AllNumericTypes>(x.dtype(), run);
}

// Upsample-1 spells linear "bilinear".
Result<InterpMode> ParseMode(const std::string& mode, bool upsample) {
  if (mode == "nearest") return InterpMode::kNearest;
  if (mode == "linear" || (upsample && mode == "bilinear")) return InterpMode::kLinear;
  if (mode == "cubic") return InterpMode::kCubic;
  return Status::InvalidArgument("unknown mode '" + mode + "'");
}

// Output shape from scales (floor(in * scale)), validating the count and values.
Result<Shape> ShapeFromScales(const Shape& in, const std::vector<double>& scales) {
  if (scales.size() != in.size()) {
    return ShapeError("scales has " + std::to_string(scales.size()) + " values for input of rank " +
                      std::to_string(in.size()));
  }
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    if (!(scales[d] > 0) || !std::isfinite(scales[d])) return ShapeError("scales must be positive and finite");
    const double len = std::floor(scales[d] * static_cast<double>(in[d]));
    if (len > static_cast<double>(std::numeric_limits<int32_t>::max())) {
      return ShapeError("scales give an output dim larger than 2^31");
    }
    out[d] = static_cast<int64_t>(len);
  }
  return out;
}

std::vector<double> InputAsDoubles(const KernelContext& ctx, int i) {
  std::vector<double> v;
  if (!ctx.has_input(i)) return v;
  const Tensor& t = ctx.input(i);
  v.reserve(static_cast<size_t>(t.num_elements()));
  for (int64_t k = 0; k < t.num_elements(); ++k) v.push_back(t.GetDouble(k));
  return v;
}

class ResizeKernel final : public OpKernel {
 public:
  ResizeKernel(ResizeOptions options, bool legacy_inputs) : o_(options), legacy_inputs_(legacy_inputs) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    const size_t rank = x.shape().size();
    // Opset 10: (X, scales). Opset 11+: (X, roi, scales, sizes).
    const int scales_input = legacy_inputs_ ? 1 : 2;
    std::vector<double> scales = InputAsDoubles(ctx, scales_input);
    std::vector<int64_t> sizes = legacy_inputs_ ? std::vector<int64_t>{} : InputAsInt64s(ctx, 3);
    std::vector<double> roi;
    if (!legacy_inputs_ && o_.coord == CoordMode::kTfCropAndResize) {
      roi = InputAsDoubles(ctx, 1);
      if (roi.size() != 2 * rank) {
        return ShapeError("roi must have 2 * rank = " + std::to_string(2 * rank) + " values for tf_crop_and_resize");
      }
    }
    if (!scales.empty() && !sizes.empty()) return Status::InvalidArgument("only one of scales and sizes may be given");
    Shape out_shape;
    if (!sizes.empty()) {
      if (sizes.size() != rank) {
        return ShapeError("sizes has " + std::to_string(sizes.size()) + " values for input of rank " +
                          std::to_string(rank));
      }
      out_shape = sizes;
      scales.resize(rank);
      for (size_t d = 0; d < rank; ++d) {
        if (sizes[d] < 0) return ShapeError("sizes must not be negative");
        scales[d] = x.dim(static_cast<int>(d)) > 0
                        ? static_cast<double>(sizes[d]) / static_cast<double>(x.dim(static_cast<int>(d)))
                        : 1.0;
      }
    } else if (!scales.empty()) {
      KILN_ASSIGN_OR_RETURN(out_shape, ShapeFromScales(x.shape(), scales));
    } else {
      return Status::InvalidArgument("one of scales and sizes is required");
    }
    return Interpolate(ctx, o_, x, out_shape, scales, !sizes.empty(), roi);
  }

 private:
  ResizeOptions o_;
  bool legacy_inputs_;
};

Result<CoordMode> ParseCoordMode(const std::string& s) {
  if (s == "half_pixel") return CoordMode::kHalfPixel;
  if (s == "pytorch_half_pixel") return CoordMode::kPytorchHalfPixel;
  if (s == "align_corners") return CoordMode::kAlignCorners;
  if (s == "asymmetric") return CoordMode::kAsymmetric;
  if (s == "tf_half_pixel_for_nn") return CoordMode::kTfHalfPixelForNn;
  if (s == "tf_crop_and_resize") return CoordMode::kTfCropAndResize;
  return Status::InvalidArgument("unknown coordinate_transformation_mode '" + s + "'");
}

Result<NearestMode> ParseNearestMode(const std::string& s) {
  if (s == "round_prefer_floor") return NearestMode::kRoundPreferFloor;
  if (s == "round_prefer_ceil") return NearestMode::kRoundPreferCeil;
  if (s == "floor") return NearestMode::kFloor;
  if (s == "ceil") return NearestMode::kCeil;
  return Status::InvalidArgument("unknown nearest_mode '" + s + "'");
}

// Upsample: scales from an attribute (opset 7-8), an input (opset 9), or
// height_scale/width_scale (opset 1-6, 4-d input); asymmetric coordinates.
class UpsampleKernel final : public OpKernel {
 public:
  UpsampleKernel(ResizeOptions options, std::vector<double> attr_scales, int64_t opset)
      : o_(options), attr_scales_(std::move(attr_scales)), opset_(opset) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& x = ctx.input(0);
    std::vector<double> scales;
    if (opset_ >= 9) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      scales = InputAsDoubles(ctx, 1);
    } else if (opset_ >= 7) {
      scales = attr_scales_;
    } else {
      if (x.rank() != 4) return ShapeError("Upsample-1 needs a 4-d input, got " + ShapeToString(x.shape()));
      scales = {1.0, 1.0, attr_scales_[0], attr_scales_[1]};
    }
    KILN_ASSIGN_OR_RETURN(Shape out_shape, ShapeFromScales(x.shape(), scales));
    return Interpolate(ctx, o_, x, out_shape, scales, false, {});
  }

 private:
  ResizeOptions o_;
  std::vector<double> attr_scales_;
  int64_t opset_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeResize(const KernelInit& init) {
  const ir::Node& n = init.node;
  ResizeOptions o;
  KILN_ASSIGN_OR_RETURN(o.mode, ParseMode(n.GetString("mode", "nearest"), false));
  if (init.opset < 11) {
    if (o.mode == InterpMode::kCubic) return Status::InvalidArgument("cubic mode needs opset 11");
    o.coord = CoordMode::kAsymmetric;
    o.nearest = NearestMode::kLegacy;
    return std::unique_ptr<OpKernel>(new ResizeKernel(o, true));
  }
  KILN_ASSIGN_OR_RETURN(o.coord, ParseCoordMode(n.GetString("coordinate_transformation_mode", "half_pixel")));
  KILN_ASSIGN_OR_RETURN(o.nearest, ParseNearestMode(n.GetString("nearest_mode", "round_prefer_floor")));
  o.cubic_a = n.GetFloat("cubic_coeff_a", -0.75f);
  o.exclude_outside = n.GetInt("exclude_outside", 0) != 0;
  o.extrapolation_value = n.GetFloat("extrapolation_value", 0.0f);
  return std::unique_ptr<OpKernel>(new ResizeKernel(o, false));
}

Result<std::unique_ptr<OpKernel>> MakeUpsample(const KernelInit& init) {
  const ir::Node& n = init.node;
  ResizeOptions o;
  KILN_ASSIGN_OR_RETURN(o.mode, ParseMode(n.GetString("mode", "nearest"), true));
  if (o.mode == InterpMode::kCubic) return Status::InvalidArgument("Upsample does not support cubic mode");
  o.coord = CoordMode::kAsymmetric;
  o.nearest = NearestMode::kLegacy;
  std::vector<double> attr_scales;
  if (init.opset < 7) {
    if (!n.HasAttribute("height_scale") || !n.HasAttribute("width_scale")) {
      return Status::InvalidArgument("height_scale and width_scale are required");
    }
    attr_scales = {n.GetFloat("height_scale", 1.0f), n.GetFloat("width_scale", 1.0f)};
  } else if (init.opset < 9) {
    for (float s : n.GetFloats("scales")) attr_scales.push_back(s);
    if (attr_scales.empty()) return Status::InvalidArgument("scales is required");
  }
  return std::unique_ptr<OpKernel>(new UpsampleKernel(o, std::move(attr_scales), init.opset));
}

}  // namespace kiln::cpu
