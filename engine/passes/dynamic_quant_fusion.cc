#include "engine/passes/dynamic_quant_fusion.h"

#include <optional>

#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// The node writing `value` when it is `op_type` (default domain).
const ir::Node* ProducerOf(const ir::Graph& graph, const GraphIndex& index, const std::string& value,
                           const char* op_type) {
  auto p = index.Producer(value);
  if (!p || !IsOp(graph.nodes[*p], op_type)) return nullptr;
  return &graph.nodes[*p];
}

bool AllZero(const Tensor& t) {
  for (int64_t i = 0; i < t.num_elements(); ++i)
    if (t.GetInt(i) != 0) return false;
  return true;
}

// The fused replacement of the output Mul `mul`, or nullopt.
std::optional<ir::Node> Match(ir::Graph& graph, const GraphIndex& index, const ir::Node& mul) {
  if (!IsOp(mul, "Mul") || mul.inputs.size() != 2 || mul.outputs.size() != 1) return std::nullopt;
  for (size_t side = 0; side < 2; ++side) {
    const ir::Node* cast = ProducerOf(graph, index, mul.inputs[side], "Cast");
    const ir::Node* scale_mul = ProducerOf(graph, index, mul.inputs[1 - side], "Mul");
    if (cast == nullptr || scale_mul == nullptr || cast->GetInt("to", 0) != 1 /* FLOAT */) continue;
    if (index.SoleReader(cast->outputs[0]) != index.Producer(mul.outputs[0])) continue;
    const ir::Node* matmul = ProducerOf(graph, index, cast->inputs[0], "MatMulInteger");
    if (matmul == nullptr || matmul->inputs.size() < 3 || !index.SoleReader(cast->inputs[0])) continue;
    const ir::Node* dql = ProducerOf(graph, index, matmul->inputs[0], "DynamicQuantizeLinear");
    if (dql == nullptr || dql->outputs.size() != 3 || matmul->inputs[0] != dql->outputs[0] ||
        matmul->inputs[2] != dql->outputs[2]) {
      continue;
    }
    const Tensor* weight = ConstantValue(graph, matmul->inputs[1]);
    if (weight == nullptr || weight->dtype() != DataType::kInt8 || weight->rank() != 2) continue;
    if (HasInput(*matmul, 3)) {
      const Tensor* w_zero = ConstantValue(graph, matmul->inputs[3]);
      if (w_zero == nullptr || !AllZero(*w_zero)) continue;
    }
    // Mul(xs, w_scale) in either order.
    const std::string& w_scale_name =
        scale_mul->inputs[0] == dql->outputs[1] ? scale_mul->inputs[1]
        : scale_mul->inputs[1] == dql->outputs[1] ? scale_mul->inputs[0] : std::string();
    const Tensor* w_scale = w_scale_name.empty() ? nullptr : ConstantValue(graph, w_scale_name);
    const int64_t n = weight->dim(1);
    if (w_scale == nullptr || w_scale->dtype() != DataType::kFloat ||
        (w_scale->num_elements() != 1 && (w_scale->rank() != 1 || w_scale->num_elements() != n))) {
      continue;
    }
    Tensor scales = Tensor::Allocate(DataType::kFloat, {n});
    for (int64_t c = 0; c < n; ++c) scales.data<float>()[c] = w_scale->data<float>()[w_scale->num_elements() == 1 ? 0 : c];

    ir::Node fused;
    fused.name = mul.name.empty() ? mul.outputs[0] : mul.name;
    fused.domain = kKilnDomain;
    fused.op_type = "Int8MatMul";
    const std::string scale_name = AddInitializer(graph, fused.name + "_weight_scale", std::move(scales));
    fused.inputs = {dql->inputs[0], "", "", matmul->inputs[1], scale_name};
    fused.outputs = mul.outputs;
    ir::Attribute dynamic;
    dynamic.name = "dynamic_quantization";
    dynamic.type = ir::Attribute::Type::kInt;
    dynamic.i = 1;
    fused.attributes["dynamic_quantization"] = dynamic;
    return fused;
  }
  return std::nullopt;
}

}  // namespace

Result<bool> DynamicQuantFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  bool changed = false;
  // Replacing a Mul in place keeps every index valid; the absorbed nodes
  // become dead and are removed later.
  const GraphIndex index(graph);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    std::optional<ir::Node> fused = Match(graph, index, graph.nodes[i]);
    if (!fused) continue;
    graph.nodes[i] = std::move(*fused);
    changed = true;
  }
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
