#include "engine/passes/constant_folding.h"

#include <algorithm>

#include "engine/ir/verifier.h"
#include "engine/kernels/cpu/registry.h"
#include "engine/passes/graph_util.h"
#include "engine/runtime/executor.h"
#include "engine/runtime/graph_plan.h"

namespace kiln::passes {
namespace {

// Shape's output for an input of static shape `shape` (start/end since opset 15).
Tensor ShapeOf(const ir::Node& node, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  auto clamp = [rank](int64_t axis) { return std::clamp(axis < 0 ? axis + rank : axis, int64_t{0}, rank); };
  const int64_t start = clamp(node.GetInt("start", 0));
  const int64_t end = std::max(start, clamp(node.GetInt("end", rank)));
  return Tensor::FromVector<int64_t>({end - start}, std::vector<int64_t>(shape.begin() + start, shape.begin() + end));
}

// The dimensions of `value` that shape inference fixed, -1 where dynamic;
// nullopt when the rank is unknown.
std::optional<std::vector<int64_t>> PartialShape(const ir::Graph& graph, const std::string& value) {
  const ir::TypeInfo* type = graph.FindType(value);
  if (type == nullptr || type->kind != ir::TypeInfo::Kind::kTensor || !type->shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : *type->shape) dims.push_back(d.is_fixed() ? d.value : -1);
  return dims;
}

// Gather(Shape(x), indices) when every gathered dimension of x is static,
// even though others are not (e.g. the hidden size next to a dynamic batch).
std::optional<Tensor> StaticDimsOf(const ir::Graph& graph, const ValueUses& uses, const ir::Node& gather) {
  if (gather.op_type != "Gather" || gather.inputs.size() != 2 || gather.GetInt("axis", 0) != 0) return std::nullopt;
  auto producer = uses.producer.find(gather.inputs[0]);
  const Tensor* indices = ConstantValue(graph, gather.inputs[1]);
  if (producer == uses.producer.end() || indices == nullptr || indices->rank() > 1) return std::nullopt;
  if (indices->dtype() != DataType::kInt64 && indices->dtype() != DataType::kInt32) return std::nullopt;
  const ir::Node& shape = graph.nodes[producer->second];
  if (shape.op_type != "Shape" || !shape.domain.empty() || shape.inputs.size() != 1) return std::nullopt;
  std::optional<std::vector<int64_t>> dims = PartialShape(graph, shape.inputs[0]);
  if (!dims) return std::nullopt;
  // Shape's start/end select a range of the dimensions.
  const Tensor sliced = ShapeOf(shape, *dims);
  const int64_t count = sliced.num_elements();
  Tensor out = Tensor::Allocate(DataType::kInt64, indices->shape());
  for (int64_t i = 0; i < indices->num_elements(); ++i) {
    int64_t k = indices->GetInt(i);
    if (k < 0) k += count;
    if (k < 0 || k >= count) return std::nullopt;
    const int64_t dim = sliced.data<int64_t>()[k];
    if (dim < 0) return std::nullopt;
    out.data<int64_t>()[i] = dim;
  }
  return out;
}

// Runs `node` alone on its constant inputs through a one-node plan. nullopt
// when it cannot be evaluated here (unsupported, failing or non-tensor
// outputs): the runtime will then run it, and report any error, as usual.
std::optional<std::vector<Tensor>> Evaluate(const ir::Model& model, const ir::Node& node) {
  ir::Graph tiny;
  tiny.name = "constant_folding";
  tiny.nodes.push_back(node);
  for (const auto& in : node.inputs) {
    if (in.empty() || tiny.initializers.count(in)) continue;
    tiny.initializers.emplace(in, *ConstantValue(model.graph, in));
    tiny.initializer_order.push_back(in);
  }
  for (const auto& name : node.inputs)
    if (const ir::TypeInfo* t = model.graph.FindType(name)) tiny.value_types[name] = *t;
  for (const auto& out : node.outputs) {
    if (out.empty()) continue;
    const ir::TypeInfo* t = model.graph.FindType(out);
    tiny.outputs.push_back({out, t ? *t : ir::TypeInfo{}});
    if (t) tiny.value_types[out] = *t;
  }
  auto plan = GraphPlan::Compile(tiny, model.opset_imports, KernelRegistry::Cpu());
  if (!plan.ok()) return std::nullopt;
  auto values = ExecutePlan(**plan, {}, nullptr);
  if (!values.ok()) return std::nullopt;
  std::vector<Tensor> tensors;
  for (const auto& v : *values) {
    if (!v.is_tensor()) return std::nullopt;
    tensors.push_back(v.tensor());
  }
  return tensors;
}

}  // namespace

Result<bool> ConstantFoldingPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  KILN_ASSIGN_OR_RETURN(std::vector<size_t> order, ir::TopologicalOrder(graph, {}));
  ValueUses uses = ValueUses::Of(graph);
  std::vector<bool> folded(graph.nodes.size(), false);
  for (size_t index : order) {
    const ir::Node& node = graph.nodes[index];
    if (IsNondeterministic(node) || HasSubgraph(node) || !node.domain.empty()) continue;
    bool writes_output = false;
    for (const auto& out : node.outputs) writes_output = writes_output || (!out.empty() && uses.graph_outputs.count(out));
    if (writes_output) continue;
    // A node nobody reads is dead-code elimination's: evaluating it would
    // only cost time (the int8 weights' DequantizeLinear nodes a QDQ fusion
    // left behind: a third of a second for resnet50 int8).
    bool read = false;
    for (const auto& out : node.outputs) read = read || (!out.empty() && (uses.ReaderCount(out) > 0 || uses.Pinned(out)));
    if (!read) continue;

    std::optional<std::vector<Tensor>> results;
    if (node.op_type == "Shape" && node.inputs.size() == 1 && node.outputs.size() == 1) {
      if (auto shape = StaticShape(graph, node.inputs[0])) results = std::vector<Tensor>{ShapeOf(node, *shape)};
    }
    if (!results && node.outputs.size() == 1) {
      if (auto dims = StaticDimsOf(graph, uses, node)) results = std::vector<Tensor>{*dims};
    }
    if (!results) {
      bool all_constant = true;
      for (const auto& in : node.inputs) all_constant = all_constant && (in.empty() || ConstantValue(graph, in));
      if (!all_constant) continue;
      results = Evaluate(model, node);
    }
    if (!results) continue;
    size_t bytes = 0;
    for (const auto& t : *results) bytes += t.byte_size();
    if (bytes > max_output_bytes_) continue;

    // Outputs keep their names: readers need no rewiring.
    size_t r = 0;
    for (const auto& out : node.outputs) {
      if (out.empty()) continue;
      graph.initializers[out] = (*results)[r++];
      graph.initializer_order.push_back(out);
    }
    folded[index] = true;
  }
  if (std::find(folded.begin(), folded.end(), true) == folded.end()) return false;
  RemoveNodes(graph, folded);
  return true;
}

}  // namespace kiln::passes
