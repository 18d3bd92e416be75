#include "engine/quantization/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::quantization {

ActivationParams ActivationParamsFor(float min, float max, DataType type) {
  const float lo = std::min(min, 0.0f);
  const float hi = std::max(max, 0.0f);
  const int32_t qmin = type == DataType::kUInt8 ? 0 : -128;
  const int32_t qmax = type == DataType::kUInt8 ? 255 : 127;
  ActivationParams p;
  p.type = type;
  float scale = (hi - lo) / static_cast<float>(qmax - qmin);
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    p.scale = 1.0f;
    p.zero_point = type == DataType::kUInt8 ? 0 : 0;
    return p;
  }
  p.scale = scale;
  float zp = static_cast<float>(qmin) - lo / scale;
  p.zero_point = std::clamp(static_cast<int32_t>(std::nearbyint(zp)), qmin, qmax);
  return p;
}

Result<QuantizedWeight> QuantizeWeight(const Tensor& weight, int axis) {
  if (weight.dtype() != DataType::kFloat) return Status::InvalidArgument("only float32 weights are quantized");
  if (axis >= weight.rank()) return Status::InvalidArgument("weight quantization axis out of range");
  QuantizedWeight q;
  q.axis = axis;
  q.values = Tensor::Allocate(DataType::kInt8, weight.shape());
  const int64_t channels = axis < 0 ? 1 : weight.dim(axis);
  int64_t inner = 1;
  for (int d = axis + 1; d < weight.rank(); ++d) inner *= weight.dim(d);
  if (axis < 0) inner = weight.num_elements();
  const int64_t outer = channels == 0 ? 0 : weight.num_elements() / (channels * std::max<int64_t>(inner, 1));
  const float* w = weight.data<float>();
  int8_t* out = q.values.data<int8_t>();
  q.scales.assign(static_cast<size_t>(std::max<int64_t>(channels, 1)), 0.0f);
  auto index = [&](int64_t o, int64_t c, int64_t i) { return (o * channels + c) * inner + i; };
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        float a = std::fabs(w[index(o, c, i)]);
        if (std::isfinite(a)) q.scales[static_cast<size_t>(c)] = std::max(q.scales[static_cast<size_t>(c)], a);
      }
    }
  }
  for (float& s : q.scales) s = s > 0.0f ? s / 127.0f : 1.0f;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const float s = q.scales[static_cast<size_t>(c)];
      for (int64_t i = 0; i < inner; ++i) {
        int64_t k = index(o, c, i);
        float v = std::isfinite(w[k]) ? std::nearbyint(w[k] / s) : 0.0f;
        out[k] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
      }
    }
  }
  return q;
}

Result<Tensor> QuantizeBias(const Tensor& bias, float input_scale, const std::vector<float>& weight_scales) {
  if (bias.dtype() != DataType::kFloat || bias.rank() != 1) {
    return Status::InvalidArgument("only 1-D float32 biases are quantized");
  }
  if (weight_scales.size() != 1 && static_cast<int64_t>(weight_scales.size()) != bias.num_elements()) {
    return Status::InvalidArgument("bias length does not match the weight's channels");
  }
  Tensor out = Tensor::Allocate(DataType::kInt32, bias.shape());
  for (int64_t i = 0; i < bias.num_elements(); ++i) {
    double scale = static_cast<double>(input_scale) * weight_scales[weight_scales.size() == 1 ? 0 : static_cast<size_t>(i)];
    double v = scale > 0 ? std::nearbyint(static_cast<double>(bias.data<float>()[i]) / scale) : 0.0;
    v = std::clamp(v, static_cast<double>(std::numeric_limits<int32_t>::min()),
                   static_cast<double>(std::numeric_limits<int32_t>::max()));
    out.data<int32_t>()[i] = static_cast<int32_t>(v);
  }
  return out;
}

}  // namespace kiln::quantization
