// MaxRoiPool (opset 1): max-pools each region of interest (batch index, x1,
// y1, x2, y2) of an N x C x H x W input into a fixed pooled_shape grid of bins
// whose edges are rounded to whole pixels (Fast R-CNN RoI pooling).
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class MaxRoiPoolKernel final : public OpKernel {
 public:
  MaxRoiPoolKernel(int64_t pooled_h, int64_t pooled_w, double spatial_scale)
      : pooled_h_(pooled_h), pooled_w_(pooled_w), spatial_scale_(spatial_scale) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& x = ctx.input(0);
    const Tensor& rois = ctx.input(1);
    if (x.rank() != 4) return ShapeError("X must be N x C x H x W, got " + ShapeToString(x.shape()));
    if (rois.rank() != 2 || rois.dim(1) != 5) {
      return ShapeError("rois must be num_rois x 5, got " + ShapeToString(rois.shape()));
    }
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t num_rois = rois.dim(0);
    Tensor& y = ctx.AllocateOutput(0, x.dtype(), {num_rois, c, pooled_h_, pooled_w_});
    return DispatchType<FloatTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (int64_t r = 0; r < num_rois; ++r) {
        double coords[5];
        for (int k = 0; k < 5; ++k) coords[k] = rois.GetDouble(r * 5 + k);
        for (double v : coords) {
          if (!std::isfinite(v)) return Status::InvalidArgument("roi " + std::to_string(r) + " is not finite");
        }
        const int64_t b = static_cast<int64_t>(coords[0]);
        if (b < 0 || b >= n) return Status::InvalidArgument("roi batch index " + std::to_string(b) + " out of range");
        const int64_t x1 = static_cast<int64_t>(std::round(coords[1] * spatial_scale_));
        const int64_t y1 = static_cast<int64_t>(std::round(coords[2] * spatial_scale_));
        const int64_t x2 = static_cast<int64_t>(std::round(coords[3] * spatial_scale_));
        const int64_t y2 = static_cast<int64_t>(std::round(coords[4] * spatial_scale_));
        const double bin_h = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / static_cast<double>(pooled_h_);
        const double bin_w = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / static_cast<double>(pooled_w_);
        for (int64_t ch = 0; ch < c; ++ch) {
          const T* plane = src + (b * c + ch) * h * w;
          T* out = dst + (r * c + ch) * pooled_h_ * pooled_w_;
          for (int64_t ph = 0; ph < pooled_h_; ++ph) {
            const int64_t hs = std::clamp<int64_t>(static_cast<int64_t>(std::floor(ph * bin_h)) + y1, 0, h);
            const int64_t he = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bin_h)) + y1, 0, h);
            for (int64_t pw = 0; pw < pooled_w_; ++pw) {
              const int64_t ws = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pw * bin_w)) + x1, 0, w);
              const int64_t we = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bin_w)) + x1, 0, w);
              C best = 0;  // an empty bin pools to 0
              bool any = false;
              for (int64_t iy = hs; iy < he; ++iy) {
                for (int64_t ix = ws; ix < we; ++ix) {
                  const C v = static_cast<C>(plane[iy * w + ix]);
                  if (!any || v > best) best = v;
                  any = true;
                }
              }
              out[ph * pooled_w_ + pw] = static_cast<T>(best);
            }
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t pooled_h_, pooled_w_;
  double spatial_scale_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMaxRoiPool(const KernelInit& init) {
  const std::vector<int64_t> pooled = init.node.GetInts("pooled_shape");
  if (pooled.size() != 2 || pooled[0] < 1 || pooled[1] < 1) {
    return Status::InvalidArgument("pooled_shape must be two positive values");
  }
  return std::unique_ptr<OpKernel>(
      new MaxRoiPoolKernel(pooled[0], pooled[1], init.node.GetFloat("spatial_scale", 1.0f)));
}

}  // namespace kiln::cpu
