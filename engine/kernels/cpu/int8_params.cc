#include "engine/kernels/cpu/int8_params.h"


namespace kiln::cpu {
namespace {

Result<const Tensor*> RequireConstant(const KernelInit& init, size_t i, const char* what) {
  const Tensor* t = init.ConstantInput(i);
  if (t == nullptr) return Status::InvalidArgument(init.node.Describe() + ": " + what + " must be a constant");
  return t;
}

Result<int32_t> ZeroPoint(const KernelInit& init, size_t i, DataType* type) {
  const Tensor* t = init.ConstantInput(i);
  if (t == nullptr) {
    if (i < init.node.inputs.size() && !init.node.inputs[i].empty()) {
      return Status::InvalidArgument(init.node.Describe() + ": zero points must be constants");
    }
    *type = DataType::kUInt8;
    return 0;
  }
  if (t->num_elements() != 1 || (t->dtype() != DataType::kUInt8 && t->dtype() != DataType::kInt8)) {
    return Status::InvalidArgument(init.node.Describe() + ": zero points must be uint8/int8 scalars");
  }
  *type = t->dtype();
  return static_cast<int32_t>(t->GetInt(0));
}

Result<float> Scale(const KernelInit& init, size_t i) {
  KILN_ASSIGN_OR_RETURN(const Tensor* t, RequireConstant(init, i, "scales"));
  if (t->dtype() != DataType::kFloat || t->num_elements() != 1 || !(t->data<float>()[0] > 0)) {
    return Status::InvalidArgument(init.node.Describe() + ": scales must be positive float32 scalars");
  }
  return t->data<float>()[0];
}

}  // namespace

Result<Int8Params> Int8Params::Read(const KernelInit& init, int64_t channels) {
  Int8Params p;
  const ir::Node& node = init.node;
  if (node.inputs.size() < 5) return Status::InvalidArgument(node.Describe() + ": expects at least 5 inputs");
  p.dynamic_input = node.GetInt("dynamic_quantization", 0) != 0;
  if (!p.dynamic_input) {
    KILN_ASSIGN_OR_RETURN(p.x_scale, Scale(init, 1));
    DataType x_type = DataType::kUInt8;
    KILN_ASSIGN_OR_RETURN(p.x_zero_point, ZeroPoint(init, 2, &x_type));
  } else if ((node.inputs.size() > 1 && !node.inputs[1].empty()) || (node.inputs.size() > 2 && !node.inputs[2].empty())) {
    return Status::InvalidArgument(node.Describe() + ": with dynamic quantization x_scale and x_zero_point are computed, not inputs");
  }
  KILN_ASSIGN_OR_RETURN(p.weight, RequireConstant(init, 3, "the weight"));
  if (p.weight->dtype() != DataType::kInt8) return Status::InvalidArgument(node.Describe() + ": the weight must be int8");
  KILN_ASSIGN_OR_RETURN(const Tensor* ws, RequireConstant(init, 4, "the weight scale"));
  if (ws->dtype() != DataType::kFloat || ws->num_elements() != channels) {
    return Status::InvalidArgument(node.Describe() + ": the weight scale must hold one float per output channel");
  }
  p.weight_scales.assign(ws->data<float>(), ws->data<float>() + channels);
  if (node.inputs.size() > 5 && !node.inputs[5].empty()) {
    KILN_ASSIGN_OR_RETURN(p.bias, RequireConstant(init, 5, "the bias"));
    if (p.bias->dtype() != DataType::kInt32 || p.bias->num_elements() != channels) {
      return Status::InvalidArgument(node.Describe() + ": the bias must be int32 with one value per output channel");
    }
  }
  if (node.inputs.size() > 6 && !node.inputs[6].empty()) {
    p.quantized_output = true;
    KILN_ASSIGN_OR_RETURN(p.y_scale, Scale(init, 6));
    KILN_ASSIGN_OR_RETURN(p.y_zero_point, ZeroPoint(init, 7, &p.y_type));
  }
  if (node.inputs.size() > 8 && !node.inputs[8].empty()) {
    KILN_ASSIGN_OR_RETURN(p.float_bias, RequireConstant(init, 8, "the float bias"));
    if (p.float_bias->dtype() != DataType::kFloat || p.float_bias->num_elements() != channels) {
      return Status::InvalidArgument(node.Describe() + ": the float bias must be float32 with one value per output channel");
    }
    if (p.quantized_output) {
      return Status::InvalidArgument(node.Describe() + ": a float bias needs a float output (no y_scale)");
    }
  }
  if (node.inputs.size() > kInt8ResidualInput && !node.inputs[kInt8ResidualInput].empty()) {
    if (!p.quantized_output) {
      return Status::InvalidArgument(node.Describe() + ": a residual needs a quantized output (y_scale)");
    }
    p.residual = true;
    KILN_ASSIGN_OR_RETURN(p.residual_scale, Scale(init, kInt8ResidualInput + 1));
    DataType residual_type = DataType::kUInt8;
    KILN_ASSIGN_OR_RETURN(p.residual_zero_point, ZeroPoint(init, kInt8ResidualInput + 2, &residual_type));
    if (residual_type != p.y_type) {
      return Status::InvalidArgument(node.Describe() + ": the residual must have the output's type");
    }
  }
  if (p.dynamic_input && (p.quantized_output || p.bias != nullptr)) {
    return Status::InvalidArgument(node.Describe() +
                                   ": with dynamic quantization the output is float and the bias a float bias");
  }
  KILN_ASSIGN_OR_RETURN(p.activation, FusedActivation::FromNode(node));
  using Kind = FusedActivation::Kind;
  const Kind kind = p.activation.kind;
  if (p.quantized_output && kind != Kind::kNone && kind != Kind::kRelu && kind != Kind::kClip) {
    return Status::Unimplemented(node.Describe() + ": with a quantized output only Relu and Clip can be fused");
  }
  return p;
}

dnnl::post_ops Int8Params::PostOps() const {
  dnnl::post_ops ops;
  // The sum sees the destination's stored (quantized) values; in the units
  // of the output scale: residual_scale / y_scale * (r - r_zero_point).
  if (residual) ops.append_sum(residual_scale / y_scale, residual_zero_point);
  if (float_bias != nullptr) ops.append_binary(dnnl::algorithm::binary_add, FloatBiasDesc());
  if (activation.kind == FusedActivation::Kind::kClip && quantized_output) {
    // The post-op sees x_scale*w_scale*acc / y_scale: clip in the same units.
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, activation.alpha / y_scale, activation.beta / y_scale);
  } else {
    activation.AppendTo(ops);
  }
  return ops;
}

dnnl::memory::desc Int8Params::FloatBiasDesc() const {
  return dnnl::memory::desc({1, static_cast<int64_t>(weight_scales.size())}, dnnl::memory::data_type::f32,
                            dnnl::memory::format_tag::ab);
}

std::vector<float> Int8Params::OutputScales() const {
  std::vector<float> scales(weight_scales.size());
  for (size_t c = 0; c < scales.size(); ++c) {
    scales[c] = x_scale * weight_scales[c] / (quantized_output ? y_scale : 1.0f);
  }
  return scales;
}

}  // namespace kiln::cpu
