// The edges of an int8 channels-last chain (passes/int8_channels_last.h):
//   kiln::QuantizeLinearToChannelsLast(x, y_scale[, y_zero_point]): a 4-D
//     float32 NCHW x quantized per tensor into a uint8/int8 y stored
//     channels-last (NHWC in memory, the shape stays NCHW);
//   kiln::DequantizeLinearFromChannelsLast(x, x_scale[, x_zero_point]): the
//     inverse edge, a channels-last uint8/int8 x dequantized per tensor into
//     a planar float32 y.
// Same arithmetic as QuantizeLinear / DequantizeLinear, followed (quantize)
// or accompanied (dequantize) by a tiled transpose. Stateless.
#include <algorithm>

#include "engine/kernels/cpu/channels_last_copy.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/quantize_util.h"
#include "engine/kernels/cpu/vector_math.h"
#include "engine/runtime/kernel_context.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {
namespace {

struct ScalarQuantParams {
  float scale = 1;
  int32_t zero_point = 0;
  DataType type = DataType::kUInt8;  // of the quantized side
};

// Inputs 1 (scale, float32 scalar) and 2 (zero point, uint8/int8 scalar,
// optional: uint8 0) as one pair; x (input 0) must be 4-D.
Result<ScalarQuantParams> ReadScalarParams(const KernelContext& ctx) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
  auto op = [&] { return ctx.node().Describe(); };  // for errors only
  if (ctx.input(0).rank() != 4) {
    return Status::InvalidArgument(op() + ": expects a 4-D input, got " + ShapeToString(ctx.input(0).shape()));
  }
  const Tensor& scale = ctx.input(1);
  if (scale.dtype() != DataType::kFloat || scale.num_elements() != 1) {
    return Status::InvalidArgument(op() + ": the scale must be a float32 scalar");
  }
  ScalarQuantParams p;
  p.scale = scale.data<float>()[0];
  if (ctx.has_input(2)) {
    const Tensor& zp = ctx.input(2);
    if (zp.num_elements() != 1 || (zp.dtype() != DataType::kUInt8 && zp.dtype() != DataType::kInt8)) {
      return Status::InvalidArgument(op() + ": the zero point must be a uint8/int8 scalar");
    }
    p.zero_point = static_cast<int32_t>(zp.GetInt(0));
    p.type = zp.dtype();
  }
  return p;
}

class QuantizeToChannelsLastKernel final : public OpKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const ScalarQuantParams p, ReadScalarParams(ctx));
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DataType::kFloat) {
      return Status::InvalidArgument(ctx.node().Describe() + ": expects float32 input, got " +
                                     std::string(DataTypeName(x.dtype())));
    }
    Tensor& y = ctx.AllocateOutput(0, p.type, x.shape());
    const int64_t channels = x.dim(1), positions = x.dim(2) * x.dim(3);
    const float* src = x.data<float>();
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    const int32_t qmin = p.type == DataType::kUInt8 ? 0 : -128, qmax = p.type == DataType::kUInt8 ? 255 : 127;
    switch (channels) {  // the entry image of a CNN: RGB, RGBA, grey
      case 1: QuantizeInterleaved<1>(src, dst, x.dim(0), positions, p, qmin, qmax, ctx.thread_pool()); break;
      case 3: QuantizeInterleaved<3>(src, dst, x.dim(0), positions, p, qmin, qmax, ctx.thread_pool()); break;
      case 4: QuantizeInterleaved<4>(src, dst, x.dim(0), positions, p, qmin, qmax, ctx.thread_pool()); break;
      default: {
        // Quantize in the planar order (vectorized), then transpose bytes.
        const int64_t n = x.num_elements();
        Tensor planar = Tensor::Allocate(p.type, x.shape());
        auto* quantized = static_cast<uint8_t*>(planar.raw_data());
        ParallelFor(ctx.thread_pool(), n, 1 << 16, [&](int64_t begin, int64_t end) {
          vec::Quantize(src + begin, quantized + begin, end - begin, p.scale, p.zero_point, qmin, qmax);
        });
        // Each image is a [channels, positions] matrix, transposed.
        TransposeMatrices(quantized, dst, x.dim(0), channels, positions, ctx.thread_pool(),
                          [](uint8_t v) { return v; });
      }
    }
    return Status::Ok();
  }

 private:
  // Few channels: quantize a block of positions of each channel plane
  // (vectorized) into a small buffer, then interleave the planes' bytes, so
  // no planar copy of the image and no transpose tiles a few rows tall.
  template <int kChannels>
  static void QuantizeInterleaved(const float* src, uint8_t* dst, int64_t batch, int64_t positions,
                                  const ScalarQuantParams& p, int32_t qmin, int32_t qmax, ThreadPool* pool) {
    constexpr int64_t kBlock = 512;
    const int64_t blocks_per_image = (positions + kBlock - 1) / kBlock;
    ParallelFor(pool, batch * blocks_per_image, 16, [&](int64_t first, int64_t last) {
      uint8_t planes[kChannels][kBlock];
      for (int64_t block = first; block < last; ++block) {
        const int64_t image = block / blocks_per_image;
        const int64_t begin = block % blocks_per_image * kBlock;
        const int64_t count = std::min(kBlock, positions - begin);
        for (int c = 0; c < kChannels; ++c) {
          vec::Quantize(src + (image * kChannels + c) * positions + begin, planes[c], count, p.scale, p.zero_point,
                        qmin, qmax);
        }
        uint8_t* __restrict out = dst + (image * positions + begin) * kChannels;
        for (int64_t i = 0; i < count; ++i) {
          for (int c = 0; c < kChannels; ++c) out[i * kChannels + c] = planes[c][i];
        }
      }
    });
  }
};

class DequantizeFromChannelsLastKernel final : public OpKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const ScalarQuantParams p, ReadScalarParams(ctx));
    const Tensor& x = ctx.input(0);
    if (x.dtype() != p.type) {
      return Status::InvalidArgument(ctx.node().Describe() + ": the input (" + std::string(DataTypeName(x.dtype())) +
                                     ") must have the zero point's type (" + std::string(DataTypeName(p.type)) + ")");
    }
    Tensor& y = ctx.AllocateOutput(0, DataType::kFloat, x.shape());
    const int64_t positions = x.dim(2) * x.dim(3);
    return DispatchType<QuantTypes>(p.type, [&](auto tag) {
      using Q = typename decltype(tag)::type;
      const float scale = p.scale;
      const int32_t zero_point = p.zero_point;
      // Each image is a [positions, channels] matrix, transposed.
      TransposeMatrices(x.data<Q>(), y.data<float>(), x.dim(0), positions, x.dim(1), ctx.thread_pool(),
                        [=](Q v) { return static_cast<float>(static_cast<int32_t>(v) - zero_point) * scale; });
    });
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeQuantizeLinearToChannelsLast(const KernelInit&) {
  return std::unique_ptr<OpKernel>(new QuantizeToChannelsLastKernel());
}

Result<std::unique_ptr<OpKernel>> MakeDequantizeLinearFromChannelsLast(const KernelInit&) {
  return std::unique_ptr<OpKernel>(new DequantizeFromChannelsLastKernel());
}

}  // namespace kiln::cpu
