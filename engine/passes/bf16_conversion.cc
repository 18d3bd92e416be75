#include "engine/passes/bf16_conversion.h"

#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

bool IsOnnxOp(const ir::Node& node, const char* op) { return node.domain.empty() && node.op_type == op; }

bool IsFloatValue(const ir::Graph& graph, const std::string& name) {
  const ir::TypeInfo* type = graph.FindType(name);
  return type && type->kind == ir::TypeInfo::Kind::kTensor && type->elem_type == DataType::kFloat;
}

const Tensor* FloatConstant(const ir::Graph& graph, const std::string& name, int rank) {
  const Tensor* t = ConstantValue(graph, name);
  return t && t->dtype() == DataType::kFloat && (rank < 0 || t->rank() == rank) ? t : nullptr;
}

Tensor Transposed(const Tensor& w) {
  const int64_t rows = w.dim(0), cols = w.dim(1);
  Tensor out = Tensor::Allocate(DataType::kFloat, {cols, rows});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out.data<float>()[c * rows + r] = w.data<float>()[r * cols + c];
  return out;
}

Tensor Scaled(const Tensor& t, float factor) {
  Tensor out = t.Clone();
  for (int64_t i = 0; i < out.num_elements(); ++i) out.data<float>()[i] *= factor;
  return out;
}

}  // namespace

Result<bool> Bf16ConversionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  ValueUses uses = ValueUses::Of(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  std::vector<std::pair<size_t, ir::Node>> replacements;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    const bool conv = IsOnnxOp(node, "Conv"), matmul = IsOnnxOp(node, "MatMul"), gemm = IsOnnxOp(node, "Gemm");
    if (removed[n] || !(conv || matmul || gemm) || node.inputs.size() < 2 || node.outputs.size() != 1) continue;
    if (!IsFloatValue(graph, node.inputs[0])) continue;
    const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
    ir::Node fused;
    fused.name = node.name;
    fused.domain = "kiln";
    if (conv) {
      const Tensor* w = FloatConstant(graph, node.inputs[1], 4);
      const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
      if (!w || (auto_pad != "NOTSET" && auto_pad != "VALID")) continue;
      if (has_bias && !FloatConstant(graph, node.inputs[2], 1)) continue;
      fused.op_type = "Bf16Conv";
      fused.inputs = {node.inputs[0], node.inputs[1], has_bias ? node.inputs[2] : ""};
      for (const char* key : {"dilations", "group", "kernel_shape", "strides"}) {
        if (const ir::Attribute* a = node.FindAttribute(key)) fused.attributes[key] = *a;
      }
      if (auto_pad == "NOTSET") {
        if (const ir::Attribute* a = node.FindAttribute("pads")) fused.attributes["pads"] = *a;
      }
    } else {
      const Tensor* w = FloatConstant(graph, node.inputs[1], 2);
      if (!w) continue;
      fused.op_type = "Bf16MatMul";
      fused.inputs = {node.inputs[0], node.inputs[1]};
      if (gemm) {
        const float alpha = node.GetFloat("alpha", 1.0f), beta = node.GetFloat("beta", 1.0f);
        if (node.GetInt("transA", 0) != 0) continue;
        const Tensor* c = has_bias ? FloatConstant(graph, node.inputs[2], 1) : nullptr;
        const int64_t n_out = node.GetInt("transB", 0) ? w->dim(0) : w->dim(1);
        if (has_bias && (!c || c->num_elements() != n_out)) continue;
        if (node.GetInt("transB", 0) || alpha != 1.0f) {
          Tensor weight = node.GetInt("transB", 0) ? Transposed(*w) : w->Clone();
          if (alpha != 1.0f) weight = Scaled(weight, alpha);
          fused.inputs[1] = AddInitializer(graph, node.inputs[1] + "_bf16_kn", std::move(weight));
        }
        if (c) {
          fused.inputs.push_back(beta == 1.0f ? node.inputs[2]
                                              : AddInitializer(graph, node.inputs[2] + "_scaled", Scaled(*c, beta)));
        }
      }
    }
    // Absorb a Relu that is the only reader.
    std::string out = node.outputs[0];
    if (!uses.Pinned(out) && uses.ReaderCount(out) == 1) {
      for (size_t r = 0; r < graph.nodes.size(); ++r) {
        const ir::Node& reader = graph.nodes[r];
        if (reader.inputs.size() == 1 && reader.inputs[0] == out && IsOnnxOp(reader, "Relu") && !removed[r]) {
          ir::Attribute a;
          a.name = "activation";
          a.type = ir::Attribute::Type::kString;
          a.s = "Relu";
          fused.attributes["activation"] = a;
          out = reader.outputs[0];
          removed[r] = true;
          break;
        }
      }
    }
    fused.outputs = {out};
    replacements.emplace_back(n, std::move(fused));
  }
  if (replacements.empty()) return false;
  for (auto& [index, fused] : replacements) graph.nodes[index] = std::move(fused);
  RemoveNodes(graph, removed);
  ImportKilnDomain(model);
  return true;
}

}  // namespace kiln::passes
