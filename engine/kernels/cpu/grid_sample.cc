// GridSample (opset 16): samples an N x C x H x W input at the normalised
// (x, y) locations of an N x H_out x W_out x 2 grid, with nearest, bilinear or
// bicubic interpolation and zeros, border or reflection padding.
#include <algorithm>
#include <cmath>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class SampleMode { kNearest, kBilinear, kBicubic };
enum class PaddingMode { kZeros, kBorder, kReflection };

// Reflects x into [low, high] (given doubled, as integers of half-pixels).
double Reflect(double x, double twice_low, double twice_high) {
  if (twice_low == twice_high) return 0;
  const double low = twice_low / 2;
  const double span = (twice_high - twice_low) / 2;
  x = std::fabs(x - low);
  const double extra = std::fmod(x, span);
  const double flips = std::floor(x / span);
  return std::fmod(flips, 2.0) == 0 ? low + extra : low + span - extra;
}

class GridSampleKernel final : public OpKernel {
 public:
  GridSampleKernel(SampleMode mode, PaddingMode padding, bool align_corners)
      : mode_(mode), padding_(padding), align_corners_(align_corners) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& grid = ctx.input(1);
    if (x.rank() != 4) return ShapeError("X must be N x C x H x W, got " + ShapeToString(x.shape()));
    if (grid.rank() != 4 || grid.dim(0) != x.dim(0) || grid.dim(3) != 2) {
      return ShapeError("grid must be N x H_out x W_out x 2 with N = " + std::to_string(x.dim(0)) + ", got " +
                        ShapeToString(grid.shape()));
    }
    if (grid.dtype() != x.dtype()) return Status::InvalidArgument("X and grid must have the same data type");
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t ho = grid.dim(1), wo = grid.dim(2);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), {n, c, ho, wo});
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      const T* g = grid.data<T>();
      T* dst = y.data<T>();
      for (int64_t b = 0; b < n; ++b) {
        for (int64_t p = 0; p < ho * wo; ++p) {
          const double gx = static_cast<double>(static_cast<float>(g[(b * ho * wo + p) * 2]));
          const double gy = static_cast<double>(static_cast<float>(g[(b * ho * wo + p) * 2 + 1]));
          const double sx = Unnormalize(gx, w), sy = Unnormalize(gy, h);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* plane = src + (b * c + ch) * h * w;
            dst[((b * c + ch) * ho * wo) + p] = static_cast<T>(static_cast<float>(Sample(plane, h, w, sx, sy)));
          }
        }
      }
    });
  }

 private:
  double Unnormalize(double v, int64_t size) const {
    const double s = static_cast<double>(size);
    return align_corners_ ? (v + 1) / 2 * (s - 1) : ((v + 1) * s - 1) / 2;
  }

  // Applies border or reflection padding to a coordinate; zeros leaves it.
  double PadCoordinate(double v, int64_t size) const {
    const double s = static_cast<double>(size);
    if (padding_ == PaddingMode::kBorder) return std::clamp(v, 0.0, s - 1);
    if (padding_ == PaddingMode::kReflection) {
      v = align_corners_ ? Reflect(v, 0, 2 * (s - 1)) : Reflect(v, -1, 2 * s - 1);
      return std::clamp(v, 0.0, s - 1);
    }
    return v;
  }

  // Pixel at integral coordinates (ix, iy), zero outside the input.
  template <typename T>
  static double Pixel(const T* plane, int64_t h, int64_t w, double ix, double iy) {
    if (!(ix >= 0 && iy >= 0 && ix < static_cast<double>(w) && iy < static_cast<double>(h))) return 0;
    return static_cast<double>(static_cast<float>(plane[static_cast<int64_t>(iy) * w + static_cast<int64_t>(ix)]));
  }

  template <typename T>
  double Sample(const T* plane, int64_t h, int64_t w, double sx, double sy) const {
    if (mode_ == SampleMode::kBicubic) {
      // Each tap is padded on its own (the coordinate itself is not clamped).
      const double fx = std::floor(sx), fy = std::floor(sy);
      double wx[4], wy[4];
      CubicWeights(sx - fx, wx);
      CubicWeights(sy - fy, wy);
      double acc = 0;
      for (int j = 0; j < 4; ++j) {
        const double ty = PadCoordinate(fy - 1 + j, h);
        for (int i = 0; i < 4; ++i) {
          const double tx = PadCoordinate(fx - 1 + i, w);
          acc += wy[j] * wx[i] * Pixel(plane, h, w, tx, ty);
        }
      }
      return acc;
    }
    sx = PadCoordinate(sx, w);
    sy = PadCoordinate(sy, h);
    if (mode_ == SampleMode::kNearest) {
      return Pixel(plane, h, w, std::nearbyint(sx), std::nearbyint(sy));
    }
    const double fx = std::floor(sx), fy = std::floor(sy);
    const double tx = sx - fx, ty = sy - fy;
    return (1 - ty) * ((1 - tx) * Pixel(plane, h, w, fx, fy) + tx * Pixel(plane, h, w, fx + 1, fy)) +
           ty * ((1 - tx) * Pixel(plane, h, w, fx, fy + 1) + tx * Pixel(plane, h, w, fx + 1, fy + 1));
  }

  // Cubic convolution weights (a = -0.75) for taps at -1, 0, 1, 2 around t in [0, 1).
  static void CubicWeights(double t, double out[4]) {
    constexpr double a = -0.75;
    auto near = [](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
    auto far = [](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
    out[0] = far(t + 1);
    out[1] = near(t);
    out[2] = near(1 - t);
    out[3] = far(2 - t);
  }

  SampleMode mode_;
  PaddingMode padding_;
  bool align_corners_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeGridSample(const KernelInit& init) {
  const std::string mode = init.node.GetString("mode", "bilinear");
  const std::string padding = init.node.GetString("padding_mode", "zeros");
  SampleMode m;
  if (mode == "bilinear") {
    m = SampleMode::kBilinear;
  } else if (mode == "nearest") {
    m = SampleMode::kNearest;
  } else if (mode == "bicubic") {
    m = SampleMode::kBicubic;
  } else {
    return Status::InvalidArgument("unknown mode '" + mode + "'");
  }
  PaddingMode p;
  if (padding == "zeros") {
    p = PaddingMode::kZeros;
  } else if (padding == "border") {
    p = PaddingMode::kBorder;
  } else if (padding == "reflection") {
    p = PaddingMode::kReflection;
  } else {
    return Status::InvalidArgument("unknown padding_mode '" + padding + "'");
  }
  return std::unique_ptr<OpKernel>(new GridSampleKernel(m, p, init.node.GetInt("align_corners", 0) != 0));
}

}  // namespace kiln::cpu
