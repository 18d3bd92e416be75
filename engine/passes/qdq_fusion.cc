#include "engine/passes/qdq_fusion.h"

#include <cmath>
#include <limits>

#include "engine/passes/fusable_activation.h"
#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

bool IsOnnxOp(const ir::Node& node, const char* op) { return node.domain.empty() && node.op_type == op; }

// A DequantizeLinear (or QuantizeLinear) with constant scalar scale and zero point.
struct ScalarQuant {
  float scale = 1;
  int32_t zero_point = 0;
  DataType type = DataType::kUndefined;  // uint8 / int8
  std::string scale_name, zero_point_name;
};

// Scale at input `scale_index`, zero point at `zp_index` (optional).
std::optional<ScalarQuant> ConstantScalarQuantAt(const ir::Graph& graph, const ir::Node& node, size_t scale_index,
                                                 size_t zp_index) {
  if (node.inputs.size() <= scale_index) return std::nullopt;
  const Tensor* scale = ConstantValue(graph, node.inputs[scale_index]);
  if (!scale || scale->dtype() != DataType::kFloat || scale->num_elements() != 1) return std::nullopt;
  ScalarQuant q;
  q.scale = scale->data<float>()[0];
  q.scale_name = node.inputs[scale_index];
  if (!(q.scale > 0) || !std::isfinite(q.scale)) return std::nullopt;
  if (node.inputs.size() > zp_index && !node.inputs[zp_index].empty()) {
    const Tensor* zp = ConstantValue(graph, node.inputs[zp_index]);
    if (!zp || zp->num_elements() != 1) return std::nullopt;
    if (zp->dtype() != DataType::kUInt8 && zp->dtype() != DataType::kInt8) return std::nullopt;
    q.zero_point = static_cast<int32_t>(zp->GetInt(0));
    q.type = zp->dtype();
    q.zero_point_name = node.inputs[zp_index];
  } else {
    q.type = DataType::kUInt8;  // ONNX's default zero point is uint8 0
  }
  return q;
}

std::optional<ScalarQuant> ConstantScalarQuant(const ir::Graph& graph, const ir::Node& node) {
  return ConstantScalarQuantAt(graph, node, 1, 2);
}

// Constant int8 symmetric weights behind a DequantizeLinear: the values and
// one scale per output channel (repeated when per tensor).
struct QuantWeight {
  const Tensor* values = nullptr;
  std::vector<float> scales;  // per output channel
};

std::optional<QuantWeight> ConstantWeight(const ir::Graph& graph, const ir::Node& dq, int channel_axis) {
  if (!IsOnnxOp(dq, "DequantizeLinear") || dq.inputs.size() < 2) return std::nullopt;
  const Tensor* w = ConstantValue(graph, dq.inputs[0]);
  const Tensor* scale = ConstantValue(graph, dq.inputs[1]);
  if (!w || w->dtype() != DataType::kInt8 || !scale || scale->dtype() != DataType::kFloat) return std::nullopt;
  if (channel_axis >= w->rank()) return std::nullopt;
  const int64_t channels = w->dim(channel_axis);
  if (dq.inputs.size() >= 3 && !dq.inputs[2].empty()) {
    const Tensor* zp = ConstantValue(graph, dq.inputs[2]);
    if (!zp || zp->dtype() != DataType::kInt8) return std::nullopt;
    for (int64_t i = 0; i < zp->num_elements(); ++i)
      if (zp->data<int8_t>()[i] != 0) return std::nullopt;  // oneDNN weights are symmetric
  }
  QuantWeight qw;
  qw.values = w;
  if (scale->num_elements() == 1) {
    qw.scales.assign(static_cast<size_t>(channels), scale->data<float>()[0]);
  } else {
    int64_t axis = dq.GetInt("axis", 1);
    if (axis < 0) axis += w->rank();
    if (axis != channel_axis || scale->num_elements() != channels) return std::nullopt;
    qw.scales.assign(scale->data<float>(), scale->data<float>() + channels);
  }
  for (float s : qw.scales)
    if (!(s > 0) || !std::isfinite(s)) return std::nullopt;
  return qw;
}

// The bias as int32 in units of x_scale * w_scale[c]: from a DequantizeLinear
// of int32 constants or from a float constant; nullopt when neither.
std::optional<Tensor> IntegerBias(const ir::Graph& graph, const ValueUses& uses, const std::string& name,
                                  float x_scale, const std::vector<float>& w_scales, float multiplier) {
  const int64_t channels = static_cast<int64_t>(w_scales.size());
  std::vector<double> real(static_cast<size_t>(channels));
  if (const Tensor* f = ConstantValue(graph, name)) {
    if (f->dtype() != DataType::kFloat || f->num_elements() != channels || f->rank() != 1) return std::nullopt;
    for (int64_t c = 0; c < channels; ++c) real[static_cast<size_t>(c)] = f->data<float>()[c];
  } else {
    auto it = uses.producer.find(name);
    if (it == uses.producer.end()) return std::nullopt;
    const ir::Node& dq = graph.nodes[it->second];
    if (!IsOnnxOp(dq, "DequantizeLinear") || dq.inputs.size() < 2) return std::nullopt;
    const Tensor* b = ConstantValue(graph, dq.inputs[0]);
    const Tensor* s = ConstantValue(graph, dq.inputs[1]);
    if (!b || b->dtype() != DataType::kInt32 || b->num_elements() != channels || b->rank() != 1) return std::nullopt;
    if (!s || s->dtype() != DataType::kFloat || (s->num_elements() != 1 && s->num_elements() != channels)) {
      return std::nullopt;
    }
    const Tensor* zp = dq.inputs.size() >= 3 && !dq.inputs[2].empty() ? ConstantValue(graph, dq.inputs[2]) : nullptr;
    if (dq.inputs.size() >= 3 && !dq.inputs[2].empty() && !zp) return std::nullopt;
    for (int64_t c = 0; c < channels; ++c) {
      double zero = zp ? static_cast<double>(zp->GetInt(zp->num_elements() == 1 ? 0 : c)) : 0.0;
      real[static_cast<size_t>(c)] =
          (static_cast<double>(b->data<int32_t>()[c]) - zero) * s->data<float>()[s->num_elements() == 1 ? 0 : c];
    }
  }
  Tensor out = Tensor::Allocate(DataType::kInt32, {channels});
  for (int64_t c = 0; c < channels; ++c) {
    double unit = static_cast<double>(x_scale) * w_scales[static_cast<size_t>(c)];
    double v = std::nearbyint(real[static_cast<size_t>(c)] * multiplier / unit);
    if (std::fabs(v) > std::numeric_limits<int32_t>::max()) return std::nullopt;
    out.data<int32_t>()[c] = static_cast<int32_t>(v);
  }
  return out;
}

// The single main-graph reader of `value`, or nullptr.
const ir::Node* SoleReader(const ir::Graph& graph, const ValueUses& uses, const std::string& value, size_t* index) {
  if (uses.Pinned(value) || uses.ReaderCount(value) != 1) return nullptr;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) {
      if (in == value) {
        *index = i;
        return &graph.nodes[i];
      }
    }
  }
  return nullptr;
}

Tensor Transposed(const Tensor& w) {  // int8 [N, K] -> [K, N]
  const int64_t n = w.dim(0), k = w.dim(1);
  Tensor out = Tensor::Allocate(DataType::kInt8, {k, n});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) out.data<int8_t>()[j * n + i] = w.data<int8_t>()[i * k + j];
  return out;
}

// The QuantizeLinear reading `value` (after an optional Relu) when it is
// the only reader; fills `absorbed` with the nodes the fused node replaces.
const ir::Node* FollowingQuantize(const ir::Graph& graph, const ValueUses& uses, const std::vector<bool>& removed,
                                  const std::string& value, bool* relu, std::vector<size_t>* absorbed) {
  size_t index = 0;
  const ir::Node* next = SoleReader(graph, uses, value, &index);
  *relu = false;
  if (next && IsOnnxOp(*next, "Relu") && !removed[index]) {
    *relu = true;
    absorbed->push_back(index);
    next = SoleReader(graph, uses, next->outputs[0], &index);
  }
  if (next && IsOnnxOp(*next, "QuantizeLinear") && !removed[index] && next->GetInt("axis", 1) == 1 &&
      next->GetInt("saturate", 1) == 1 && ConstantScalarQuant(graph, *next)) {
    absorbed->push_back(index);
    return next;
  }
  return nullptr;
}

void SetRelu(ir::Node& fused) { SetActivation(fused, FusableActivation{"Relu", {}, ""}); }

// DequantizeLinear(a), DequantizeLinear(b) -> Add [-> Relu] -> QuantizeLinear
// as kiln::Int8Add, or nullopt.
std::optional<ir::Node> MatchInt8Add(const ir::Graph& graph, const ValueUses& uses, const std::vector<bool>& removed,
                                     const ir::Node& add, std::vector<size_t>* absorbed) {
  if (add.inputs.size() != 2 || add.outputs.size() != 1) return std::nullopt;
  std::vector<std::string> inputs;
  for (const auto& in : add.inputs) {
    auto it = uses.producer.find(in);
    if (it == uses.producer.end()) return std::nullopt;
    const ir::Node& dq = graph.nodes[it->second];
    if (!IsOnnxOp(dq, "DequantizeLinear")) return std::nullopt;
    auto q = ConstantScalarQuant(graph, dq);
    if (!q || q->zero_point_name.empty()) return std::nullopt;
    inputs.insert(inputs.end(), {dq.inputs[0], q->scale_name, q->zero_point_name});
  }
  bool relu = false;
  std::vector<size_t> taken;
  const ir::Node* quantize = FollowingQuantize(graph, uses, removed, add.outputs[0], &relu, &taken);
  if (!quantize) return std::nullopt;
  auto yq = ConstantScalarQuant(graph, *quantize);
  if (yq->zero_point_name.empty()) return std::nullopt;
  ir::Node fused;
  fused.name = add.name.empty() ? "int8_add_" + quantize->outputs[0] : add.name;
  fused.domain = "kiln";
  fused.op_type = "Int8Add";
  fused.inputs = inputs;
  fused.inputs.insert(fused.inputs.end(), {yq->scale_name, yq->zero_point_name});
  fused.outputs = {quantize->outputs[0]};
  if (relu) SetRelu(fused);
  absorbed->insert(absorbed->end(), taken.begin(), taken.end());
  return fused;
}

// DequantizeLinear(x_q) -> MaxPool -> QuantizeLinear with the same scale,
// zero point and type on both sides as MaxPool(x_q) -> y_q: quantization is
// monotonic, so the maximum of the quantized values is the quantized maximum
// (exactly). Fills `absorbed` with the QuantizeLinear.
std::optional<ir::Node> MatchQuantizedMaxPool(const ir::Graph& graph, const ValueUses& uses,
                                              const std::vector<bool>& removed, const ir::Node& pool,
                                              std::vector<size_t>* absorbed) {
  if (pool.inputs.size() != 1 || pool.outputs.empty() || pool.outputs[0].empty()) return std::nullopt;
  for (size_t i = 1; i < pool.outputs.size(); ++i)
    if (!pool.outputs[i].empty()) return std::nullopt;  // Indices
  auto it = uses.producer.find(pool.inputs[0]);
  if (it == uses.producer.end() || !IsOnnxOp(graph.nodes[it->second], "DequantizeLinear")) return std::nullopt;
  const ir::Node& dq = graph.nodes[it->second];
  auto xq = ConstantScalarQuant(graph, dq);
  size_t index = 0;
  const ir::Node* q = SoleReader(graph, uses, pool.outputs[0], &index);
  if (!xq || !q || !IsOnnxOp(*q, "QuantizeLinear") || removed[index] || q->GetInt("saturate", 1) != 1 ||
      q->FindAttribute("output_dtype") != nullptr) {
    return std::nullopt;
  }
  auto yq = ConstantScalarQuant(graph, *q);
  if (!yq || yq->scale != xq->scale || yq->zero_point != xq->zero_point || yq->type != xq->type) return std::nullopt;
  ir::Node fused = pool;
  fused.inputs = {dq.inputs[0]};
  fused.outputs = {q->outputs[0]};
  absorbed->push_back(index);
  return fused;
}

// The bounds of a Clip with constant (or absent) limits.
// A constant scalar: an initializer or the output of a Constant node (this
// pass runs before constant folding turns those into initializers).
const Tensor* ScalarConstant(const ir::Graph& graph, const ValueUses& uses, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return t;
  auto it = uses.producer.find(name);
  if (it == uses.producer.end()) return nullptr;
  const ir::Node& producer = graph.nodes[it->second];
  return IsOnnxOp(producer, "Constant") ? producer.GetTensor("value") : nullptr;
}

std::optional<std::pair<float, float>> ClipBounds(const ir::Graph& graph, const ValueUses& uses, const ir::Node& clip,
                                                  int64_t opset) {
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (opset < 11) return std::make_pair(clip.GetFloat("min", lo), clip.GetFloat("max", hi));
  for (size_t i = 1; i < clip.inputs.size() && i <= 2; ++i) {
    if (clip.inputs[i].empty()) continue;
    const Tensor* t = ScalarConstant(graph, uses, clip.inputs[i]);
    if (!t || t->dtype() != DataType::kFloat || t->num_elements() != 1) return std::nullopt;
    (i == 1 ? lo : hi) = t->data<float>()[0];
  }
  return std::make_pair(lo, hi);
}

void SetClip(ir::Node& fused, float lo, float hi) { SetActivation(fused, FusableActivation{"Clip", {lo, hi}, ""}); }

// QLinearConv / QLinearMatMul (the QOperator form) with constant symmetric
// int8 weights and scalar activation parameters, as Int8Conv / Int8MatMul.
std::optional<ir::Node> MatchQLinear(ir::Graph& graph, const ir::Node& node) {
  const bool conv = IsOnnxOp(node, "QLinearConv");
  if (!(conv || IsOnnxOp(node, "QLinearMatMul")) || node.inputs.size() < 8 || node.outputs.size() != 1) {
    return std::nullopt;
  }
  auto xq = ConstantScalarQuantAt(graph, node, 1, 2);
  auto yq = ConstantScalarQuantAt(graph, node, 6, 7);
  if (!xq || !yq || xq->zero_point_name.empty() || yq->zero_point_name.empty()) return std::nullopt;
  const Tensor* w = ConstantValue(graph, node.inputs[3]);
  const Tensor* ws = ConstantValue(graph, node.inputs[4]);
  const Tensor* wzp = ConstantValue(graph, node.inputs[5]);
  if (!w || w->dtype() != DataType::kInt8 || w->rank() != (conv ? 4 : 2) || !ws || ws->dtype() != DataType::kFloat) {
    return std::nullopt;
  }
  if (!wzp || wzp->dtype() != DataType::kInt8) return std::nullopt;
  for (int64_t i = 0; i < wzp->num_elements(); ++i)
    if (wzp->data<int8_t>()[i] != 0) return std::nullopt;
  const int64_t channels = conv ? w->dim(0) : w->dim(1);
  if (ws->num_elements() != 1 && ws->num_elements() != channels) return std::nullopt;
  std::vector<float> scales(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    scales[static_cast<size_t>(c)] = ws->data<float>()[ws->num_elements() == 1 ? 0 : c];
    if (!(scales[static_cast<size_t>(c)] > 0)) return std::nullopt;
  }
  std::string bias;
  if (conv && node.inputs.size() > 8 && !node.inputs[8].empty()) {
    const Tensor* b = ConstantValue(graph, node.inputs[8]);
    if (!b || b->dtype() != DataType::kInt32 || b->num_elements() != channels) return std::nullopt;
    bias = node.inputs[8];
  }
  if (conv) {
    const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "VALID") return std::nullopt;
  }
  ir::Node fused;
  fused.name = node.name;
  fused.domain = "kiln";
  fused.op_type = conv ? "Int8Conv" : "Int8MatMul";
  const std::string base = node.name.empty() ? node.outputs[0] : node.name;
  std::string scale_name =
      AddInitializer(graph, base + "_weight_scale", Tensor::FromVector<float>({channels}, scales));
  fused.inputs = {node.inputs[0], xq->scale_name, xq->zero_point_name, node.inputs[3], scale_name, bias,
                  yq->scale_name, yq->zero_point_name};
  if (conv) {
    for (const char* key : {"dilations", "group", "kernel_shape", "pads", "strides"}) {
      if (const ir::Attribute* a = node.FindAttribute(key)) fused.attributes[key] = *a;
    }
  }
  fused.outputs = node.outputs;
  return fused;
}

}  // namespace

Result<bool> QdqFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  bool changed = false;
  ValueUses uses = ValueUses::Of(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  std::vector<std::pair<size_t, ir::Node>> replacements;  // index of the node to replace -> fused node

  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (!removed[n] && (IsOnnxOp(node, "QLinearConv") || IsOnnxOp(node, "QLinearMatMul"))) {
      if (auto fused = MatchQLinear(graph, node)) {
        replacements.emplace_back(n, std::move(*fused));
        changed = true;
      }
      continue;
    }
    if (IsOnnxOp(node, "MaxPool") && !removed[n]) {
      std::vector<size_t> absorbed;
      if (auto pool = MatchQuantizedMaxPool(graph, uses, removed, node, &absorbed)) {
        for (size_t i : absorbed) removed[i] = true;
        replacements.emplace_back(n, std::move(*pool));
        changed = true;
      }
      continue;
    }
    if (IsOnnxOp(node, "Add") && !removed[n]) {
      std::vector<size_t> absorbed;
      if (auto fused = MatchInt8Add(graph, uses, removed, node, &absorbed)) {
        for (size_t i : absorbed) removed[i] = true;
        replacements.emplace_back(n, std::move(*fused));
        changed = true;
      }
      continue;
    }
    const bool conv = IsOnnxOp(node, "Conv"), matmul = IsOnnxOp(node, "MatMul"), gemm = IsOnnxOp(node, "Gemm");
    if (!(conv || matmul || gemm) || removed[n] || node.inputs.size() < 2 || node.outputs.size() != 1) continue;
    // Activation input.
    auto x_it = uses.producer.find(node.inputs[0]);
    if (x_it == uses.producer.end()) continue;
    const ir::Node& dx = graph.nodes[x_it->second];
    if (!IsOnnxOp(dx, "DequantizeLinear")) continue;
    auto xq = ConstantScalarQuant(graph, dx);
    if (!xq) continue;
    // Weight.
    auto w_it = uses.producer.find(node.inputs[1]);
    if (w_it == uses.producer.end()) continue;
    int channel_axis = 0;
    if (matmul) channel_axis = 1;
    if (gemm) {
      if (node.GetInt("transA", 0) != 0) continue;
      channel_axis = node.GetInt("transB", 0) ? 0 : 1;
    }
    auto qw = ConstantWeight(graph, graph.nodes[w_it->second], channel_axis);
    if (!qw) continue;
    if (conv && (qw->values->rank() != 4 || (node.GetString("auto_pad", "NOTSET") != "NOTSET" &&
                                            node.GetString("auto_pad", "NOTSET") != "VALID"))) {
      continue;
    }
    if ((matmul || gemm) && qw->values->rank() != 2) continue;
    float alpha = gemm ? node.GetFloat("alpha", 1.0f) : 1.0f;
    float beta = gemm ? node.GetFloat("beta", 1.0f) : 1.0f;
    if (!(alpha > 0)) continue;
    std::vector<float> w_scales = qw->scales;
    for (float& s : w_scales) s *= alpha;  // alpha folds into the weight scale
    // Bias.
    std::string bias_name;
    if (node.inputs.size() >= 3 && !node.inputs[2].empty()) {
      auto bias = IntegerBias(graph, uses, node.inputs[2], xq->scale, w_scales, beta);
      if (!bias) continue;
      bias_name = AddInitializer(graph, node.name.empty() ? "int8_bias" : node.name + "_int32_bias", *bias);
    }
    // Output: [Relu | Clip] then QuantizeLinear, or float.
    std::string out = node.outputs[0];
    std::vector<size_t> absorbed;
    bool relu = false;
    std::optional<std::pair<float, float>> clip;
    size_t next_index = 0;
    const ir::Node* next = SoleReader(graph, uses, out, &next_index);
    if (next && IsOnnxOp(*next, "Clip") && !removed[next_index]) clip = ClipBounds(graph, uses, *next, model.OpsetOf(""));
    if (next && ((IsOnnxOp(*next, "Relu") || clip) && !removed[next_index])) {
      relu = IsOnnxOp(*next, "Relu");
      absorbed.push_back(next_index);
      out = next->outputs[0];
      next = SoleReader(graph, uses, out, &next_index);
    }
    std::optional<ScalarQuant> yq;
    if (next && IsOnnxOp(*next, "QuantizeLinear") && !removed[next_index] && next->GetInt("axis", 1) == 1 &&
        next->GetInt("saturate", 1) == 1) {
      yq = ConstantScalarQuant(graph, *next);
      if (yq) {
        absorbed.push_back(next_index);
        out = next->outputs[0];
      }
    }

    Tensor weight = *qw->values;
    if (gemm && node.GetInt("transB", 0)) weight = Transposed(weight);
    ir::Node fused;
    fused.name = node.name.empty() ? "int8_" + out : node.name;
    fused.domain = "kiln";
    fused.op_type = conv ? "Int8Conv" : "Int8MatMul";
    std::string base = fused.name;
    std::string w_name = AddInitializer(graph, base + "_int8_weight", weight);
    std::string ws_name =
        AddInitializer(graph, base + "_weight_scale",
                       Tensor::FromVector<float>({static_cast<int64_t>(w_scales.size())}, w_scales));
    fused.inputs = {dx.inputs[0], xq->scale_name, xq->zero_point_name, w_name, ws_name, bias_name,
                    yq ? yq->scale_name : "", yq ? yq->zero_point_name : ""};
    if (conv) {
      for (const char* key : {"dilations", "group", "kernel_shape", "pads", "strides"}) {
        if (const ir::Attribute* a = node.FindAttribute(key)) fused.attributes[key] = *a;
      }
    }
    if (relu) SetRelu(fused);
    if (clip) SetClip(fused, clip->first, clip->second);
    fused.outputs = {out};
    for (size_t i : absorbed) removed[i] = true;
    replacements.emplace_back(n, std::move(fused));
    changed = true;
  }
  if (!changed) return false;
  for (auto& [index, fused] : replacements) graph.nodes[index] = std::move(fused);
  RemoveNodes(graph, removed);
  ImportKilnDomain(model);
  return true;
}

}  // namespace kiln::passes
