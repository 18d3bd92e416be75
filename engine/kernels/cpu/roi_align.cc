// RoiAlign (opset 10, 16): pools each region of interest of an N x C x H x W
// feature map into output_height x output_width bins by averaging (or taking
// the max of) bilinearly sampled points, as in Mask R-CNN.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

// One bilinear sample: four input offsets in a plane and their weights
// (all weights zero for a sample outside the map).
struct BilinearSample {
  int64_t offset[4];
  double weight[4];
};

BilinearSample MakeSample(double y, double x, int64_t h, int64_t w) {
  BilinearSample s{};
  if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x);
  int64_t y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    y = static_cast<double>(y0);
  }
  if (x0 >= w - 1) {
    x0 = x1 = w - 1;
    x = static_cast<double>(x0);
  }
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  const double hy = 1 - ly, hx = 1 - lx;
  s.offset[0] = y0 * w + x0;
  s.offset[1] = y0 * w + x1;
  s.offset[2] = y1 * w + x0;
  s.offset[3] = y1 * w + x1;
  s.weight[0] = hy * hx;
  s.weight[1] = hy * lx;
  s.weight[2] = ly * hx;
  s.weight[3] = ly * lx;
  return s;
}

// Guards against absurd regions (adaptive sampling grows with the roi's size).
constexpr double kMaxSamplesPerRoi = 1 << 26;

class RoiAlignKernel final : public OpKernel {
 public:
  RoiAlignKernel(bool max_mode, bool half_pixel, int64_t out_h, int64_t out_w, int64_t sampling_ratio,
                 double spatial_scale)
      : max_mode_(max_mode), half_pixel_(half_pixel), out_h_(out_h), out_w_(out_w),
        sampling_ratio_(sampling_ratio), spatial_scale_(spatial_scale) {}

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const Tensor& x = ctx.input(0);
    const Tensor& rois = ctx.input(1);
    const Tensor& batch = ctx.input(2);
    if (x.rank() != 4) return ShapeError("X must be N x C x H x W, got " + ShapeToString(x.shape()));
    if (rois.rank() != 2 || rois.dim(1) != 4) return ShapeError("rois must be num_rois x 4, got " + ShapeToString(rois.shape()));
    if (batch.rank() != 1 || batch.dim(0) != rois.dim(0)) {
      return ShapeError("batch_indices must have one entry per roi, got " + ShapeToString(batch.shape()));
    }
    if (rois.dtype() != x.dtype()) return Status::InvalidArgument("X and rois must have the same data type");
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t num_rois = rois.dim(0);
    for (int64_t r = 0; r < num_rois; ++r) {
      const int64_t b = batch.GetInt(r);
      if (b < 0 || b >= n) return Status::InvalidArgument("batch index " + std::to_string(b) + " out of range");
    }
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), {num_rois, c, out_h_, out_w_});
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      std::vector<BilinearSample> samples;
      for (int64_t r = 0; r < num_rois; ++r) {
        const double offset = half_pixel_ ? 0.5 : 0.0;
        const double x1 = rois.GetDouble(r * 4) * spatial_scale_ - offset;
        const double y1 = rois.GetDouble(r * 4 + 1) * spatial_scale_ - offset;
        const double x2 = rois.GetDouble(r * 4 + 2) * spatial_scale_ - offset;
        const double y2 = rois.GetDouble(r * 4 + 3) * spatial_scale_ - offset;
        if (!std::isfinite(x1) || !std::isfinite(y1) || !std::isfinite(x2) || !std::isfinite(y2)) {
          return Status::InvalidArgument("roi " + std::to_string(r) + " has a non-finite coordinate");
        }
        double roi_w = x2 - x1, roi_h = y2 - y1;
        if (!half_pixel_) {  // legacy behaviour: regions are at least one pixel
          roi_w = std::max(roi_w, 1.0);
          roi_h = std::max(roi_h, 1.0);
        }
        const double bin_h = roi_h / static_cast<double>(out_h_);
        const double bin_w = roi_w / static_cast<double>(out_w_);
        // Adaptive sampling: about one sample per input pixel of the bin (none for an empty roi).
        auto adaptive = [](double bin) { return bin > 0 ? static_cast<int64_t>(std::ceil(bin)) : int64_t{0}; };
        const int64_t grid_h = sampling_ratio_ > 0 ? sampling_ratio_ : adaptive(bin_h);
        const int64_t grid_w = sampling_ratio_ > 0 ? sampling_ratio_ : adaptive(bin_w);
        if (static_cast<double>(grid_h) * static_cast<double>(grid_w) * static_cast<double>(out_h_ * out_w_) >
            kMaxSamplesPerRoi) {
          return Status::InvalidArgument("roi " + std::to_string(r) + " needs too many sample points");
        }
        const int64_t count = std::max<int64_t>(grid_h * grid_w, 1);

        // Sample positions are shared by all channels of the roi.
        samples.clear();
        for (int64_t ph = 0; ph < out_h_; ++ph) {
          for (int64_t pw = 0; pw < out_w_; ++pw) {
            for (int64_t iy = 0; iy < grid_h; ++iy) {
              const double sy = y1 + static_cast<double>(ph) * bin_h +
                                (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
              for (int64_t ix = 0; ix < grid_w; ++ix) {
                const double sx = x1 + static_cast<double>(pw) * bin_w +
                                  (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
                samples.push_back(MakeSample(sy, sx, h, w));
              }
            }
          }
        }
        const int64_t per_bin = grid_h * grid_w;
        const int64_t b = batch.GetInt(r);
        for (int64_t ch = 0; ch < c; ++ch) {
          const T* plane = src + (b * c + ch) * h * w;
          T* out = dst + (r * c + ch) * out_h_ * out_w_;
          for (int64_t bin = 0; bin < out_h_ * out_w_; ++bin) {
            const BilinearSample* s = samples.data() + bin * per_bin;
            double acc = max_mode_ ? -std::numeric_limits<double>::infinity() : 0.0;
            for (int64_t k = 0; k < per_bin; ++k) {
              if (max_mode_) {
                // As ONNX Runtime and the ONNX reference: the max of the weighted corner values.
                for (int q = 0; q < 4; ++q) {
                  acc = std::max(acc, s[k].weight[q] * static_cast<double>(static_cast<float>(plane[s[k].offset[q]])));
                }
              } else {
                for (int q = 0; q < 4; ++q) {
                  acc += s[k].weight[q] * static_cast<double>(static_cast<float>(plane[s[k].offset[q]]));
                }
              }
            }
            if (!max_mode_) acc /= static_cast<double>(count);
            if (per_bin == 0) acc = 0;
            out[bin] = static_cast<T>(static_cast<float>(acc));
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool max_mode_;
  bool half_pixel_;
  int64_t out_h_, out_w_;
  int64_t sampling_ratio_;
  double spatial_scale_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeRoiAlign(const KernelInit& init) {
  const ir::Node& n = init.node;
  const std::string mode = n.GetString("mode", "avg");
  if (mode != "avg" && mode != "max") return Status::InvalidArgument("unknown mode '" + mode + "'");
  // Opset 10 behaves as "output_half_pixel"; opset 16 defaults to "half_pixel".
  const std::string coord = n.GetString("coordinate_transformation_mode",
                                        init.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (coord != "half_pixel" && coord != "output_half_pixel") {
    return Status::InvalidArgument("unknown coordinate_transformation_mode '" + coord + "'");
  }
  const int64_t out_h = n.GetInt("output_height", 1), out_w = n.GetInt("output_width", 1);
  const int64_t sampling_ratio = n.GetInt("sampling_ratio", 0);
  if (out_h < 1 || out_w < 1) return Status::InvalidArgument("output_height and output_width must be positive");
  if (sampling_ratio < 0) return Status::InvalidArgument("sampling_ratio must not be negative");
  return std::unique_ptr<OpKernel>(new RoiAlignKernel(mode == "max", coord == "half_pixel", out_h, out_w,
                                                      sampling_ratio, n.GetFloat("spatial_scale", 1.0f)));
}

}  // namespace kiln::cpu
