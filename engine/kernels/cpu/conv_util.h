// Shared machinery of Conv, ConvTranspose, ConvInteger and QLinearConv:
// attribute parsing, output geometry (pads, auto_pad, output_shape), and
// im2col / col2im lowering of an N-d convolution onto TypedGemm.
//
// Geometry is described in forward-convolution terms: an `image` (the Conv
// input, or the ConvTranspose output) is sampled by a kernel on a `grid`
// (the Conv output, or the ConvTranspose input).
#pragma once

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/ir/graph.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/typed_gemm.h"

namespace kiln::cpu {

struct ConvAttributes {
  std::string auto_pad;  // NOTSET, SAME_UPPER, SAME_LOWER or VALID
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;
  std::vector<int64_t> output_padding;  // ConvTranspose only
  std::vector<int64_t> output_shape;    // ConvTranspose only
  int64_t group = 1;

  // Reads the attributes and checks what can be checked without shapes.
  static Result<ConvAttributes> FromNode(const ir::Node& node);
};

struct ConvGeometry {
  int64_t batch = 0;
  int64_t in_channels = 0;   // channels of the operator's input X
  int64_t out_channels = 0;  // channels of the operator's output Y
  int64_t group = 1;
  Shape image;       // spatial shape of the sampled image
  Shape grid;        // spatial shape of the kernel positions
  Shape kernel;
  Shape strides;
  Shape dilations;
  Shape pads_begin;  // may be negative for ConvTranspose with output_shape
  Shape pads_end;

  int64_t image_size() const { return NumElements(image); }
  int64_t grid_size() const { return NumElements(grid); }
  int64_t kernel_size() const { return NumElements(kernel); }
  // A 1x1 kernel with unit strides and no padding: im2col is the identity.
  bool IsPointwise() const;
};

// Conv: X [N, C, D...], W [M, C/group, K...] -> Y [N, M, grid...].
Result<ConvGeometry> ConvGeometryFor(const ConvAttributes& attrs, const Shape& x, const Shape& w);
// ConvTranspose: X [N, C, D...], W [C, M/group, K...] -> Y [N, M, image...].
Result<ConvGeometry> ConvTransposeGeometryFor(const ConvAttributes& attrs, const Shape& x, const Shape& w);

// Checks the optional bias input (index 2) of Conv/ConvTranspose against X's
// type and the output channel count; ok when there is no bias.
Status CheckConvBias(const KernelContext& ctx, const Tensor& x, int64_t out_channels);

// col[(c * kernel_size + kpos) * grid_size + gpos] = image sample for channel c
// (of `channels`), kernel offset kpos at grid position gpos; `pad_value` where
// the sample falls outside the image.
template <typename T>
void Im2Col(const T* image, int64_t channels, const ConvGeometry& g, T pad_value, T* col);

// The adjoint of Im2Col: adds every col entry into its image sample (samples
// outside the image are dropped). `image` must be initialised.
template <typename T>
void Col2ImAdd(const T* col, int64_t channels, const ConvGeometry& g, T* image);

// Y = Conv(X, W) + bias (bias may be null), all in T: im2col + GEMM, or a
// direct loop for depthwise convolutions. Uses `pool` (may be null) for the
// im2col copy, the GEMM, the depthwise channels and the bias.
template <typename T>
void ConvForward(const T* x, const T* w, const T* bias, const ConvGeometry& g, T* y, ThreadPool* pool = nullptr);

// ---------------------------------------------------------------------------

namespace conv_detail {

// The grid columns [lo, hi) of one kernel column kx whose samples lie inside
// the image along the last spatial axis.
struct RowRange {
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t first = 0;  // image column of grid column 0 (may be out of range)
};

inline RowRange ValidColumns(int64_t kx, const ConvGeometry& g) {
  const size_t d = g.kernel.size() - 1;
  const int64_t stride = g.strides[d];
  const int64_t first = kx * g.dilations[d] - g.pads_begin[d];
  const int64_t width = g.image[d];
  const int64_t out = g.grid[d];
  RowRange r;
  r.first = first;
  // first + x * stride in [0, width)  <=>  x in [lo, hi)
  r.lo = first >= 0 ? 0 : (-first + stride - 1) / stride;
  r.hi = first >= width ? 0 : (width - first + stride - 1) / stride;
  r.lo = std::min(r.lo, out);
  r.hi = std::max(std::min(r.hi, out), r.lo);
  return r;
}

// Walks every (kernel position, grid row) pair, a grid row being all grid
// positions that differ only along the last axis. Calls f(kpos, row, offset,
// range): offset is the image offset of the image row those samples lie on
// (-1 when it is outside the image on an outer axis), range the grid columns
// whose samples lie inside along the last axis.
template <typename F>
void ForEachKernelRow(const ConvGeometry& g, F&& f) {
  const size_t nd = g.kernel.size();
  const int64_t kernel_size = g.kernel_size();
  const int64_t rows = g.grid_size() / std::max<int64_t>(g.grid[nd - 1], 1);
  std::vector<int64_t> kidx(nd, 0), gidx(nd, 0);
  for (int64_t kpos = 0; kpos < kernel_size; ++kpos) {
    const RowRange range = ValidColumns(kidx[nd - 1], g);
    std::fill(gidx.begin(), gidx.end(), 0);
    for (int64_t row = 0; row < rows; ++row) {
      int64_t offset = 0;
      bool inside = true;
      for (size_t d = 0; d + 1 < nd; ++d) {
        const int64_t pos = gidx[d] * g.strides[d] + kidx[d] * g.dilations[d] - g.pads_begin[d];
        if (pos < 0 || pos >= g.image[d]) {
          inside = false;
          break;
        }
        offset = offset * g.image[d] + pos;
      }
      f(kpos, row, inside ? offset * g.image[nd - 1] : int64_t{-1}, range);
      for (size_t d = nd - 1; d-- > 0;) {
        if (++gidx[d] < g.grid[d]) break;
        gidx[d] = 0;
      }
    }
    for (size_t d = nd; d-- > 0;) {
      if (++kidx[d] < g.kernel[d]) break;
      kidx[d] = 0;
    }
  }
}

}  // namespace conv_detail

template <typename T>
void Im2Col(const T* image, int64_t channels, const ConvGeometry& g, T pad_value, T* col) {
  const int64_t image_size = g.image_size(), grid_size = g.grid_size(), kernel_size = g.kernel_size();
  const int64_t width = g.grid.back();
  const int64_t stride = g.strides.back();
  for (int64_t c = 0; c < channels; ++c) {
    const T* src = image + c * image_size;
    T* dst_c = col + c * kernel_size * grid_size;
    conv_detail::ForEachKernelRow(g, [&](int64_t kpos, int64_t row, int64_t offset, const conv_detail::RowRange& r) {
      T* dst = dst_c + kpos * grid_size + row * width;
      if (offset < 0) {
        std::fill(dst, dst + width, pad_value);
        return;
      }
      const T* s = src + offset + r.first;
      std::fill(dst, dst + r.lo, pad_value);
      if (stride == 1) {
        std::copy(s + r.lo, s + r.hi, dst + r.lo);
      } else {
        for (int64_t x = r.lo; x < r.hi; ++x) dst[x] = s[x * stride];
      }
      std::fill(dst + r.hi, dst + width, pad_value);
    });
  }
}

template <typename T>
void Col2ImAdd(const T* col, int64_t channels, const ConvGeometry& g, T* image) {
  const int64_t image_size = g.image_size(), grid_size = g.grid_size(), kernel_size = g.kernel_size();
  const int64_t width = g.grid.back();
  const int64_t stride = g.strides.back();
  for (int64_t c = 0; c < channels; ++c) {
    T* dst = image + c * image_size;
    const T* src_c = col + c * kernel_size * grid_size;
    conv_detail::ForEachKernelRow(g, [&](int64_t kpos, int64_t row, int64_t offset, const conv_detail::RowRange& r) {
      if (offset < 0) return;
      const T* s = src_c + kpos * grid_size + row * width;
      T* d = dst + offset + r.first;
      for (int64_t x = r.lo; x < r.hi; ++x) d[x * stride] = static_cast<T>(d[x * stride] + s[x]);
    });
  }
}

// y[grid] += filter (*) image for one image channel and one filter, straight
// from the image without an im2col buffer (depthwise convolution, where a
// GEMM per channel would have a single row).
template <typename T>
void ConvSingleChannelAdd(const T* image, const T* filter, const ConvGeometry& g, T* y) {
  const int64_t width = g.grid.back();
  const int64_t stride = g.strides.back();
  conv_detail::ForEachKernelRow(g, [&](int64_t kpos, int64_t row, int64_t offset, const conv_detail::RowRange& r) {
    if (offset < 0) return;
    const T wv = filter[kpos];
    const T* __restrict s = image + offset + r.first;
    T* __restrict d = y + row * width;
    if (stride == 1) {
      for (int64_t x = r.lo; x < r.hi; ++x) d[x] += wv * s[x];
    } else {
      for (int64_t x = r.lo; x < r.hi; ++x) d[x] += wv * s[x * stride];
    }
  });
}

template <typename T>
void ConvForward(const T* x, const T* w, const T* bias, const ConvGeometry& g, T* y, ThreadPool* pool) {
  using C = ComputeType<T>;
  const int64_t cg = g.in_channels / g.group;   // input channels per group
  const int64_t mg = g.out_channels / g.group;  // output channels per group
  const int64_t image_size = g.image_size(), grid_size = g.grid_size(), kernel_size = g.kernel_size();
  const int64_t depth = cg * kernel_size;  // GEMM inner dimension
  const bool pointwise = g.IsPointwise();
  // One input channel and few output channels per group (depthwise): the
  // GEMMs would have too few rows to pay off, so convolve directly.
  constexpr int64_t kMaxDirectOutputs = 4;
  const bool direct = cg == 1 && mg <= kMaxDirectOutputs && !pointwise && std::is_floating_point_v<T>;
  // Parallel tasks over channels get at least this many elements of work.
  constexpr int64_t kMinTaskWork = int64_t{1} << 14;
  const int64_t grid_grain = std::max<int64_t>(1, kMinTaskWork / std::max<int64_t>(grid_size, 1));
  std::vector<T> col(pointwise || direct ? 0 : static_cast<size_t>(depth * grid_size));
  for (int64_t n = 0; n < g.batch; ++n) {
    T* yn = y + n * g.out_channels * grid_size;
    if constexpr (std::is_floating_point_v<T>) {
      if (direct) {
        const int64_t grain = std::max<int64_t>(1, grid_grain / std::max<int64_t>(kernel_size, 1));
        ParallelFor(pool, g.out_channels, grain, [&](int64_t first, int64_t last) {
          for (int64_t m = first; m < last; ++m) {
            T* ym = yn + m * grid_size;
            std::fill(ym, ym + grid_size, T(0));
            ConvSingleChannelAdd(x + (n * g.in_channels + m / mg) * image_size, w + m * depth, g, ym);
          }
        });
      }
    }
    for (int64_t grp = 0; grp < g.group && !direct; ++grp) {
      const T* xg = x + (n * g.in_channels + grp * cg) * image_size;
      const T* cols = xg;
      if (!pointwise) {
        const int64_t grain = std::max<int64_t>(1, grid_grain / std::max<int64_t>(kernel_size, 1));
        ParallelFor(pool, cg, grain, [&](int64_t first, int64_t last) {
          Im2Col(xg + first * image_size, last - first, g, T(0), col.data() + first * kernel_size * grid_size);
        });
        cols = col.data();
      }
      T* yg = yn + grp * mg * grid_size;
      TypedGemm<T>(false, false, mg, grid_size, depth, C(1), w + grp * mg * depth, depth, cols, grid_size, C(0), yg,
                   grid_size, pool);
    }
    if (bias != nullptr) {
      ParallelFor(pool, g.out_channels, grid_grain, [&](int64_t first, int64_t last) {
        for (int64_t m = first; m < last; ++m) {
          T* ym = yn + m * grid_size;
          const C b = static_cast<C>(bias[m]);
          for (int64_t i = 0; i < grid_size; ++i) ym[i] = static_cast<T>(static_cast<C>(ym[i]) + b);
        }
      });
    }
  }
}

}  // namespace kiln::cpu
