#include "engine/quantization/static_quantizer.h"

#include <algorithm>
#include <set>

#include "engine/quantization/proto_editor.h"
#include "engine/quantization/quant_params.h"
#include "onnx/onnx_pb.h"

namespace kiln::quantization {
namespace {

const std::set<std::string>& QuantizableOps() {
  static const std::set<std::string> ops = {"Conv", "Gemm", "MatMul", "Add", "Concat",
                                            "MaxPool", "AveragePool", "GlobalAveragePool"};
  return ops;
}

bool IsWeighted(const std::string& op) { return op == "Conv" || op == "Gemm" || op == "MatMul"; }

bool IsExcluded(const onnx::NodeProto& node, const QuantizeOptions& options) {
  for (const auto& e : options.exclude) {
    if (e == node.op_type() || (!node.name().empty() && e == node.name())) return true;
  }
  return false;
}

bool IsQuantized(const onnx::NodeProto& node, const QuantizeOptions& options) {
  return node.domain().empty() && QuantizableOps().count(node.op_type()) && !IsExcluded(node, options);
}

std::set<std::string> GraphInputNames(const onnx::GraphProto& g) {
  std::set<std::string> names;
  for (const auto& vi : g.input()) names.insert(vi.name());
  return names;
}

// The axis along which a weighted node's weight (input 1) has its output
// channels, or -2 when the weight is not quantized.
int WeightAxis(const onnx::NodeProto& node, const Tensor& weight) {
  if (node.op_type() == "Conv") return weight.rank() >= 3 ? 0 : -2;
  if (node.op_type() == "Gemm") return weight.rank() == 2 ? (GetIntAttribute(node, "transB", 0) ? 0 : 1) : -2;
  if (node.op_type() == "MatMul") return weight.rank() >= 2 ? weight.rank() - 1 : -2;
  return -2;
}

std::map<std::string, std::vector<int>> Consumers(const onnx::GraphProto& g) {
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& in : g.node(i).input()) {
      if (!in.empty()) consumers[in].push_back(i);
    }
  }
  return consumers;
}

Tensor ScaleTensor(const std::vector<float>& scales, bool vector) {
  if (!vector) return Tensor::Scalar<float>(scales.at(0));
  return Tensor::FromVector<float>({static_cast<int64_t>(scales.size())}, scales);
}

}  // namespace

Result<StaticPlan> PlanStaticQuantization(const onnx::ModelProto& model_in, const std::string& base_dir,
                                          const QuantizeOptions& options) {
  onnx::ModelProto model = model_in;
  ProtoEditor editor(&model, base_dir);
  const int64_t opset = editor.Opset();
  if (opset < 10) {
    return Status::InvalidArgument("QuantizeLinear/DequantizeLinear need ai.onnx opset 10 or later; the model imports opset " +
                                   std::to_string(opset) + " (re-export it with a newer opset)");
  }
  if (options.per_channel && opset < 13) {
    return Status::InvalidArgument("--per-channel needs ai.onnx opset 13 or later (per-axis DequantizeLinear); the model "
                                   "imports opset " + std::to_string(opset) + " (re-export it, or drop --per-channel)");
  }
  const onnx::GraphProto& g = model.graph();
  const auto consumers = Consumers(g);
  std::set<std::string> graph_outputs;
  for (const auto& vi : g.output()) graph_outputs.insert(vi.name());

  // Which nodes run as integer operators: Conv / Gemm / MatMul with a
  // constant float weight, and the other quantizable operators (Add, Concat,
  // pooling) when every non-constant input comes from such a node (a CNN's
  // residual Add, a pool between convolutions). A bias Add, an Add of two
  // float values and a MatMul of two activations (attention scores) stay
  // float: no integer kernel would run them, and their Q/DQ pairs would only
  // cost accuracy and time and keep float fusions (attention, GELU,
  // LayerNorm, bias epilogues) from matching.
  std::set<std::string> graph_inputs = GraphInputNames(g);
  auto constant = [&](const std::string& name) { return editor.FindInitializer(name) && !graph_inputs.count(name); };
  // A node's result as its readers see it: its output, or that of a Relu /
  // Clip that is its only reader (absorbed into the integer kernel).
  auto result_of = [&](const onnx::NodeProto& node) {
    std::string out = node.output(0);
    auto it = consumers.find(out);
    if (it != consumers.end() && it->second.size() == 1 && !graph_outputs.count(out)) {
      const onnx::NodeProto& next = g.node(it->second[0]);
      if ((next.op_type() == "Relu" || next.op_type() == "Clip") && next.domain().empty() &&
          !IsExcluded(next, options)) {
        out = next.output(0);
      }
    }
    return out;
  };
  std::vector<bool> integer(static_cast<size_t>(g.node_size()), false);
  std::set<std::string> integer_results;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& node = g.node(i);
    if (!IsQuantized(node, options) || node.output_size() != 1) continue;
    bool runs_integer;
    if (IsWeighted(node.op_type())) {
      runs_integer = node.input_size() >= 2 && constant(node.input(1)) && editor.IsFloat(node.input(1));
    } else {
      runs_integer = true;
      for (const auto& in : node.input()) {
        if (!in.empty() && !integer_results.count(in)) runs_integer = false;
      }
    }
    if (!runs_integer) continue;
    integer[static_cast<size_t>(i)] = true;
    integer_results.insert(result_of(node));
  }

  StaticPlan plan;
  std::set<std::string> chosen;
  auto choose = [&](const std::string& name) {
    if (name.empty() || chosen.count(name) || !editor.IsFloat(name) || editor.FindInitializer(name)) return;
    chosen.insert(name);
    plan.activations.push_back(name);
  };
  for (int i = 0; i < g.node_size(); ++i) {
    if (!integer[static_cast<size_t>(i)]) continue;
    const onnx::NodeProto& node = g.node(i);
    const bool weighted = IsWeighted(node.op_type());
    for (int k = 0; k < node.input_size(); ++k) {
      if (weighted && k >= 1) break;  // weight and bias: quantized as initializers
      choose(node.input(k));
    }
    // The result becomes int8 too when only integer operators read it, so
    // that consecutive integer operators hand int8 tensors to each other.
    const std::string out = result_of(node);
    if (graph_outputs.count(out)) continue;
    auto readers = consumers.find(out);
    if (readers == consumers.end()) continue;
    bool all_integer = true;
    for (int r : readers->second) all_integer = all_integer && integer[static_cast<size_t>(r)];
    if (all_integer) choose(out);
  }
  // Keep graph order: producers before consumers.
  std::map<std::string, int> order;
  for (const auto& vi : g.input()) order.emplace(vi.name(), -1);
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& o : g.node(i).output()) order.emplace(o, i);
  }
  std::stable_sort(plan.activations.begin(), plan.activations.end(),
                   [&](const std::string& a, const std::string& b) { return order[a] < order[b]; });
  return plan;
}

Status RewriteToQdq(onnx::ModelProto* model, const std::string& base_dir, const StaticPlan& plan,
                    const std::map<std::string, TensorRange>& ranges, const QuantizeOptions& options) {
  ProtoEditor editor(model, base_dir);
  onnx::GraphProto& g = editor.graph();
  const std::set<std::string> graph_inputs = GraphInputNames(g);

  // 1. Activations: QuantizeLinear -> DequantizeLinear after their producer.
  std::map<std::string, ActivationParams> params;
  std::map<std::string, std::string> dequantized;          // T -> T's dequantized copy
  std::map<std::string, std::vector<onnx::NodeProto>> after;  // producer output -> nodes to place after it
  std::vector<onnx::NodeProto> front;
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& o : g.node(i).output()) producer[o] = i;
  }
  for (const std::string& name : plan.activations) {
    auto r = ranges.find(name);
    if (r == ranges.end()) return Status::Internal("no calibrated range for '" + name + "'");
    ActivationParams p = ActivationParamsFor(r->second.min, r->second.max, options.activation_type);
    params[name] = p;
    std::string scale = editor.AddInitializer(name + "_scale", Tensor::Scalar<float>(p.scale));
    Tensor zp_value = options.activation_type == DataType::kUInt8
                          ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(p.zero_point))
                          : Tensor::Scalar<int8_t>(static_cast<int8_t>(p.zero_point));
    std::string zp = editor.AddInitializer(name + "_zero_point", zp_value);
    std::string q = editor.UniqueName(name + "_quantized");
    std::string dq = editor.UniqueName(name + "_dequantized");
    auto& slot = producer.count(name) ? after[name] : front;
    slot.push_back(editor.MakeNode("QuantizeLinear", {name, scale, zp}, {q}, name + "_QuantizeLinear"));
    slot.push_back(editor.MakeNode("DequantizeLinear", {q, scale, zp}, {dq}, name + "_DequantizeLinear"));
    dequantized[name] = dq;
  }

  // 2. Weights and biases of quantized Conv/Gemm/MatMul.
  std::map<std::pair<std::string, int>, std::pair<std::string, std::vector<float>>> weight_cache;
  std::set<std::string> replaced_initializers;
  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto& node = *g.mutable_node(i);
    if (!IsQuantized(node, options) || !IsWeighted(node.op_type()) || node.input_size() < 2) continue;
    const std::string& act = node.input(0);
    if (!params.count(act)) continue;
    const std::string w_name = node.input(1);
    if (!editor.IsFloat(w_name) || !editor.FindInitializer(w_name) || graph_inputs.count(w_name)) continue;
    KILN_ASSIGN_OR_RETURN(Tensor weight, editor.ReadInitializer(w_name));
    int axis = WeightAxis(node, weight);
    if (axis == -2) continue;
    if (!options.per_channel) axis = -1;
    auto key = std::make_pair(w_name, axis);
    if (!weight_cache.count(key)) {
      KILN_ASSIGN_OR_RETURN(QuantizedWeight qw, QuantizeWeight(weight, axis));
      const bool per_axis = axis >= 0;
      std::string q = editor.AddInitializer(w_name + "_quantized", qw.values);
      std::string scale = editor.AddInitializer(w_name + "_scale", ScaleTensor(qw.scales, per_axis));
      Tensor zeros = per_axis ? Tensor::Allocate(DataType::kInt8, {static_cast<int64_t>(qw.scales.size())}, true)
                              : Tensor::Scalar<int8_t>(0);
      std::string zp = editor.AddInitializer(w_name + "_zero_point", zeros);
      std::string dq = editor.UniqueName(w_name + "_dequantized");
      onnx::NodeProto dq_node = editor.MakeNode("DequantizeLinear", {q, scale, zp}, {dq}, w_name + "_DequantizeLinear");
      if (per_axis) SetIntAttribute(dq_node, "axis", axis);
      front.push_back(std::move(dq_node));
      weight_cache[key] = {dq, qw.scales};
    }
    const auto& [w_dq, w_scales] = weight_cache[key];
    node.set_input(1, w_dq);
    replaced_initializers.insert(w_name);

    // Bias: int32 with scale input_scale * weight_scale, so integer kernels add it exactly.
    if (node.input_size() < 3 || node.input(2).empty()) continue;
    const std::string b_name = node.input(2);
    if (!editor.IsFloat(b_name) || !editor.FindInitializer(b_name) || graph_inputs.count(b_name)) continue;
    KILN_ASSIGN_OR_RETURN(Tensor bias, editor.ReadInitializer(b_name));
    const int64_t channels = axis >= 0 ? weight.dim(axis) : -1;
    if (bias.rank() != 1 || (channels >= 0 && bias.num_elements() != channels)) continue;
    if (node.op_type() == "Gemm" && GetFloatAttribute(node, "beta", 1.0f) != 1.0f) continue;
    const float in_scale = params[act].scale;
    KILN_ASSIGN_OR_RETURN(Tensor qb, QuantizeBias(bias, in_scale, w_scales));
    std::vector<float> b_scales;
    for (float s : w_scales) b_scales.push_back(s * in_scale);
    const bool per_axis = axis >= 0;
    std::string q = editor.AddInitializer(b_name + "_quantized", qb);
    std::string scale = editor.AddInitializer(b_name + "_scale", ScaleTensor(b_scales, per_axis));
    Tensor zeros = per_axis ? Tensor::Allocate(DataType::kInt32, {static_cast<int64_t>(b_scales.size())}, true)
                            : Tensor::Scalar<int32_t>(0);
    std::string zp = editor.AddInitializer(b_name + "_zero_point", zeros);
    std::string dq = editor.UniqueName(b_name + "_dequantized");
    onnx::NodeProto dq_node = editor.MakeNode("DequantizeLinear", {q, scale, zp}, {dq}, b_name + "_DequantizeLinear");
    if (per_axis) SetIntAttribute(dq_node, "axis", 0);
    front.push_back(std::move(dq_node));
    node.set_input(2, dq);
    replaced_initializers.insert(b_name);
  }

  // 3. Consumers of quantized activations read the dequantized copies
  //    (excluded nodes keep the float tensor).
  for (int i = 0; i < g.node_size(); ++i) {
    onnx::NodeProto& node = *g.mutable_node(i);
    if (IsExcluded(node, options)) continue;
    for (int k = 0; k < node.input_size(); ++k) {
      auto it = dequantized.find(node.input(k));
      if (it != dequantized.end()) node.set_input(k, it->second);
    }
  }

  // 4. Place the new nodes: weights and graph-input QDQ first, the rest right
  //    after the node producing the quantized tensor.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& n : front) *nodes.Add() = std::move(n);
  for (auto& node : *g.mutable_node()) {
    std::vector<std::string> outs(node.output().begin(), node.output().end());
    *nodes.Add() = std::move(node);
    for (const auto& o : outs) {
      auto it = after.find(o);
      if (it == after.end()) continue;
      for (auto& n : it->second) *nodes.Add() = std::move(n);
    }
  }
  g.mutable_node()->Swap(&nodes);
  RemoveUnusedInitializers(model);
  return Status::Ok();
}

namespace {

void CollectUses(const onnx::GraphProto& g, std::set<std::string>& used) {
  for (const auto& n : g.node()) {
    for (const auto& in : n.input()) used.insert(in);
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CollectUses(a.g(), used);
      for (const auto& sub : a.graphs()) CollectUses(sub, used);
    }
  }
  for (const auto& o : g.output()) used.insert(o.name());
}

}  // namespace

void RemoveUnusedInitializers(onnx::ModelProto* model) {
  std::set<std::string> used;
  CollectUses(model->graph(), used);
  for (const auto& vi : model->graph().input()) used.insert(vi.name());  // declared inputs keep their defaults
  auto* inits = model->mutable_graph()->mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) { return !used.count(t.name()); }),
               inits->end());
}

}  // namespace kiln::quantization
