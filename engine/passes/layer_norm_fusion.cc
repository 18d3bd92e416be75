#include "engine/passes/layer_norm_fusion.h"

#include <algorithm>
#include <optional>

#include "engine/passes/fusion_util.h"

namespace kiln::passes {
namespace {

// The trailing axes a ReduceMean with keepdims=1 averages over, as negative
// axes in increasing order, or nullopt.
std::optional<std::vector<int64_t>> TrailingMeanAxes(const ir::Graph& graph, const ir::Node& node) {
  if (!IsOp(node, "ReduceMean") || node.inputs.size() != 1 || node.outputs.size() != 1) return std::nullopt;
  if (node.GetInt("keepdims", 1) != 1 || !node.HasAttribute("axes")) return std::nullopt;
  std::vector<int64_t> axes = node.GetInts("axes");
  if (axes.empty()) return std::nullopt;
  const bool any_positive = std::any_of(axes.begin(), axes.end(), [](int64_t a) { return a >= 0; });
  if (any_positive) {
    std::optional<size_t> rank = KnownRank(graph, node.inputs[0]);
    if (!rank) return std::nullopt;
    for (int64_t& a : axes)
      if (a >= 0) a -= static_cast<int64_t>(*rank);
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != -static_cast<int64_t>(axes.size() - i)) return std::nullopt;
  return axes;
}

struct LayerNormMatch {
  std::string x, scale, bias;
  int64_t axis = -1;
  float epsilon = 0;
  size_t last = 0;
  std::vector<size_t> absorbed;
};

// A constant usable as LayerNormalization's Scale or B: rank at most the
// number of normalized axes.
bool IsParam(const ir::Graph& graph, const std::string& name, size_t normalized_axes) {
  const Tensor* t = ConstantValue(graph, name);
  return t != nullptr && static_cast<size_t>(t->rank()) <= normalized_axes && IsFloatingPoint(t->dtype());
}

std::optional<LayerNormMatch> MatchAt(const ir::Graph& graph, const GraphIndex& index, size_t mean_node) {
  const ir::Node& mean = graph.nodes[mean_node];
  std::optional<std::vector<int64_t>> axes = TrailingMeanAxes(graph, mean);
  if (!axes) return std::nullopt;
  LayerNormMatch match;
  match.x = mean.inputs[0];
  match.axis = axes->front();
  // d = x - mean, read by the square and the division only.
  std::optional<size_t> sub = index.SoleReader(mean.outputs[0]);
  if (!sub || !IsOp(graph.nodes[*sub], "Sub") || graph.nodes[*sub].inputs.size() != 2 ||
      graph.nodes[*sub].inputs[0] != match.x || graph.nodes[*sub].inputs[1] != mean.outputs[0])
    return std::nullopt;
  const std::string d = graph.nodes[*sub].outputs[0];
  if (graph.nodes[*sub].outputs.size() != 1 || index.Pinned(d)) return std::nullopt;
  const std::vector<size_t>& readers = index.Readers(d);
  std::optional<size_t> square, div;
  for (size_t r : readers) {
    const ir::Node& n = graph.nodes[r];
    if (IsOp(n, "Div") && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] != d) {
      div = r;
    } else if (IsOp(n, "Pow") && n.inputs.size() == 2 && n.inputs[0] == d &&
               IsScalarNear(graph, index, n.inputs[1], 2.0)) {
      square = r;
    } else if (IsOp(n, "Mul") && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d) {
      square = r;
    } else {
      return std::nullopt;
    }
  }
  const size_t expected_readers = square && IsOp(graph.nodes[*square], "Mul") ? 3 : 2;
  if (!square || !div || readers.size() != expected_readers) return std::nullopt;
  // var = ReduceMean(square) over the same axes; Sqrt(var + epsilon).
  std::optional<size_t> var = index.SoleReader(graph.nodes[*square].outputs[0]);
  if (!var || TrailingMeanAxes(graph, graph.nodes[*var]) != axes) return std::nullopt;
  std::optional<size_t> add = index.SoleReader(graph.nodes[*var].outputs[0]);
  if (!add || !IsOp(graph.nodes[*add], "Add")) return std::nullopt;
  const std::string eps_name = OtherInput(graph.nodes[*add], graph.nodes[*var].outputs[0]);
  std::optional<double> eps = ScalarConstant(graph, index, eps_name);
  if (eps_name.empty() || !eps || *eps < 0) return std::nullopt;
  match.epsilon = static_cast<float>(*eps);
  std::optional<size_t> sqrt = index.SoleReader(graph.nodes[*add].outputs[0]);
  if (!sqrt || !IsOp(graph.nodes[*sqrt], "Sqrt") || index.SoleReader(graph.nodes[*sqrt].outputs[0]) != div)
    return std::nullopt;
  match.absorbed = {mean_node, *sub, *square, *var, *add, *sqrt};
  match.last = *div;
  // Optional scale, then optional bias.
  const size_t normalized = axes->size();
  std::string out = graph.nodes[*div].outputs[0];
  if (std::optional<size_t> mul = index.SoleReader(out); mul && IsOp(graph.nodes[*mul], "Mul")) {
    const std::string scale = OtherInput(graph.nodes[*mul], out);
    if (!scale.empty() && IsParam(graph, scale, normalized)) {
      match.scale = scale;
      match.absorbed.push_back(match.last);
      match.last = *mul;
      out = graph.nodes[*mul].outputs[0];
    }
  }
  if (std::optional<size_t> bias_add = index.SoleReader(out); bias_add && IsOp(graph.nodes[*bias_add], "Add")) {
    const std::string bias = OtherInput(graph.nodes[*bias_add], out);
    if (!bias.empty() && IsParam(graph, bias, normalized)) {
      match.bias = bias;
      match.absorbed.push_back(match.last);
      match.last = *bias_add;
    }
  }
  return match;
}

}  // namespace

Result<bool> LayerNormFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  return RewriteOneMatchPerScan(graph, [&](const GraphIndex& index, size_t i) -> Result<bool> {
    if (!IsOp(graph.nodes[i], "ReduceMean")) return false;
    std::optional<LayerNormMatch> match = MatchAt(graph, index, i);
    if (!match) return false;
    if (match->scale.empty()) {
      // LayerNormalization needs a Scale: a one-element 1 of x's type.
      const ir::TypeInfo* type = graph.FindType(match->x);
      if (type == nullptr || type->kind != ir::TypeInfo::Kind::kTensor || !IsFloatingPoint(type->elem_type)) {
        return false;
      }
      Tensor one = Tensor::Allocate(type->elem_type, {1});
      KILN_RETURN_IF_ERROR(DispatchType<FloatTypes>(type->elem_type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        one.data<T>()[0] = static_cast<T>(1.0f);
      }));
      match->scale = AddInitializer(graph, match->x + "_layer_norm_scale", std::move(one));
    }
    const ir::Node& last = graph.nodes[match->last];
    ir::Node ln;
    ln.name = last.name.empty() ? "layer_norm" : last.name + "/layer_norm";
    ln.op_type = "LayerNormalization";
    ln.inputs = {match->x, match->scale};
    if (!match->bias.empty()) ln.inputs.push_back(match->bias);
    ln.outputs = {last.outputs[0]};
    ir::Attribute axis;
    axis.name = "axis";
    axis.type = ir::Attribute::Type::kInt;
    axis.i = match->axis;
    ln.attributes["axis"] = std::move(axis);
    ir::Attribute epsilon;
    epsilon.name = "epsilon";
    epsilon.type = ir::Attribute::Type::kFloat;
    epsilon.f = match->epsilon;
    ln.attributes["epsilon"] = std::move(epsilon);
    ReplaceWithFusedNode(graph, match->last, std::move(ln), match->absorbed);
    return true;
  });
}

}  // namespace kiln::passes
