#include "engine/passes/gelu_fusion.h"

#include <optional>

#include "engine/passes/fusion_util.h"

namespace kiln::passes {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrtTwoOverPi = 0.7978845608028654;

// A matched GELU: its input, the node whose output becomes the Gelu's, and
// the other nodes it replaces.
struct GeluMatch {
  std::string x;
  size_t last = 0;
  std::vector<size_t> absorbed;
};

class Matcher {
 public:
  Matcher(const ir::Graph& graph, const GraphIndex& index) : graph_(graph), index_(index) {}

  // Binary node `node` with `one` as an input and a scalar near `value` as the other.
  bool IsBinaryWithScalar(const ir::Node& node, const char* op, const std::string& one, double value) const {
    return IsOp(node, op) && node.inputs.size() == 2 && IsScalarNear(graph_, index_, OtherInput(node, one), value);
  }

  // x * (1 + f) * 0.5 in any association, starting from `one_plus` (= 1 + f),
  // which has a sole reader. Fills match.last and adds absorbed nodes.
  bool MatchHalfProduct(const std::string& x, const std::string& one_plus, GeluMatch& match) const {
    std::optional<size_t> m1 = index_.SoleReader(one_plus);
    if (!m1 || !IsOp(node(*m1), "Mul")) return false;
    const std::string other = OtherInput(node(*m1), one_plus);
    if (other.empty()) return false;
    if (other == x || IsScalarNear(graph_, index_, other, 0.5)) {
      // (x * (1 + f)) * 0.5, or (0.5 * (1 + f)) * x.
      std::optional<size_t> m2 = index_.SoleReader(node(*m1).outputs[0]);
      if (!m2 || !IsOp(node(*m2), "Mul")) return false;
      const std::string last_other = OtherInput(node(*m2), node(*m1).outputs[0]);
      const bool ok = other == x ? IsScalarNear(graph_, index_, last_other, 0.5) : last_other == x;
      if (!ok) return false;
      match.absorbed.push_back(*m1);
      match.last = *m2;
      return true;
    }
    // (x * 0.5) * (1 + f).
    std::optional<size_t> half = index_.Producer(other);
    if (!half || index_.SoleReader(other) != m1 || !IsBinaryWithScalar(node(*half), "Mul", x, 0.5)) return false;
    match.absorbed.push_back(*half);
    match.last = *m1;
    return true;
  }

  // 1 + f(...) where `f_out` is the erf/tanh output.
  std::optional<std::string> MatchOnePlus(const std::string& f_out, GeluMatch& match) const {
    std::optional<size_t> add = index_.SoleReader(f_out);
    if (!add || !IsBinaryWithScalar(node(*add), "Add", f_out, 1.0)) return std::nullopt;
    match.absorbed.push_back(*add);
    return node(*add).outputs[0];
  }

  std::optional<GeluMatch> MatchErf(size_t erf) const {
    const ir::Node& e = node(erf);
    if (e.inputs.size() != 1 || e.outputs.size() != 1) return std::nullopt;
    std::optional<size_t> scaled = index_.Producer(e.inputs[0]);
    if (!scaled || index_.SoleReader(e.inputs[0]) != erf) return std::nullopt;
    const ir::Node& s = node(*scaled);
    if (s.inputs.size() != 2) return std::nullopt;
    GeluMatch match;
    if (IsOp(s, "Div") && IsScalarNear(graph_, index_, s.inputs[1], kSqrt2)) {
      match.x = s.inputs[0];
    } else if (IsOp(s, "Mul")) {
      for (int k = 0; k < 2; ++k)
        if (IsScalarNear(graph_, index_, s.inputs[static_cast<size_t>(k)], 1.0 / kSqrt2)) match.x = s.inputs[1 - k];
    }
    if (match.x.empty()) return std::nullopt;
    match.absorbed = {*scaled, erf};
    std::optional<std::string> one_plus = MatchOnePlus(e.outputs[0], match);
    if (!one_plus || !MatchHalfProduct(match.x, *one_plus, match)) return std::nullopt;
    return match;
  }

  // x^3 as Pow(x, 3), x * (x * x) or (x * x) * x; adds its nodes to `nodes`.
  bool MatchCube(const std::string& x, const std::string& cube, std::vector<size_t>& nodes) const {
    std::optional<size_t> p = index_.Producer(cube);
    if (!p || !index_.SoleReader(cube)) return false;
    const ir::Node& n = node(*p);
    if (IsOp(n, "Pow") && n.inputs.size() == 2 && n.inputs[0] == x &&
        IsScalarNear(graph_, index_, n.inputs[1], 3.0)) {
      nodes.push_back(*p);
      return true;
    }
    if (!IsOp(n, "Mul") || n.inputs.size() != 2) return false;
    const std::string square = OtherInput(n, x);
    std::optional<size_t> sq = index_.Producer(square);
    if (square.empty() || !sq || index_.SoleReader(square) != p) return false;
    const ir::Node& s = node(*sq);
    if (!IsOp(s, "Mul") || s.inputs.size() != 2 || s.inputs[0] != x || s.inputs[1] != x) return false;
    nodes.push_back(*sq);
    nodes.push_back(*p);
    return true;
  }

  std::optional<GeluMatch> MatchTanh(size_t tanh) const {
    const ir::Node& t = node(tanh);
    if (t.inputs.size() != 1 || t.outputs.size() != 1) return std::nullopt;
    // sqrt(2/pi) * inner
    std::optional<size_t> scaled = index_.Producer(t.inputs[0]);
    if (!scaled || index_.SoleReader(t.inputs[0]) != tanh || !IsOp(node(*scaled), "Mul")) return std::nullopt;
    const ir::Node& s = node(*scaled);
    std::string inner;
    for (int k = 0; k < 2 && s.inputs.size() == 2; ++k)
      if (IsScalarNear(graph_, index_, s.inputs[static_cast<size_t>(k)], kSqrtTwoOverPi)) inner = s.inputs[1 - k];
    if (inner.empty()) return std::nullopt;
    // inner = x + 0.044715 * x^3
    std::optional<size_t> add = index_.Producer(inner);
    if (!add || index_.SoleReader(inner) != scaled || !IsOp(node(*add), "Add") || node(*add).inputs.size() != 2)
      return std::nullopt;
    GeluMatch match;
    for (int k = 0; k < 2 && match.x.empty(); ++k) {
      const std::string x = node(*add).inputs[static_cast<size_t>(k)];
      const std::string term = node(*add).inputs[static_cast<size_t>(1 - k)];
      std::optional<size_t> mul = index_.Producer(term);
      if (!mul || index_.SoleReader(term) != add || !IsOp(node(*mul), "Mul") || node(*mul).inputs.size() != 2)
        continue;
      for (int j = 0; j < 2; ++j) {
        const ir::Node& m = node(*mul);
        if (!IsScalarNear(graph_, index_, m.inputs[static_cast<size_t>(j)], 0.044715)) continue;
        std::vector<size_t> cube_nodes;
        if (!MatchCube(x, m.inputs[static_cast<size_t>(1 - j)], cube_nodes)) continue;
        match.x = x;
        match.absorbed = cube_nodes;
        match.absorbed.push_back(*mul);
        break;
      }
    }
    if (match.x.empty()) return std::nullopt;
    match.absorbed.push_back(*add);
    match.absorbed.push_back(*scaled);
    match.absorbed.push_back(tanh);
    std::optional<std::string> one_plus = MatchOnePlus(t.outputs[0], match);
    if (!one_plus || !MatchHalfProduct(match.x, *one_plus, match)) return std::nullopt;
    return match;
  }

 private:
  const ir::Node& node(size_t i) const { return graph_.nodes[i]; }

  const ir::Graph& graph_;
  const GraphIndex& index_;
};

ir::Node MakeGeluNode(const ir::Node& last, const std::string& x, bool tanh) {
  ir::Node gelu;
  gelu.name = last.name.empty() ? "gelu" : last.name + "/gelu";
  gelu.op_type = "Gelu";
  gelu.domain = kKilnDomain;
  gelu.inputs = {x};
  gelu.outputs = {last.outputs[0]};
  ir::Attribute attr;
  attr.name = "approximate";
  attr.type = ir::Attribute::Type::kString;
  attr.s = tanh ? "tanh" : "none";
  gelu.attributes["approximate"] = std::move(attr);
  return gelu;
}

}  // namespace

Result<bool> GeluFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  const auto fuse_at = [&](const GraphIndex& index, size_t i) -> Result<bool> {
    const ir::Node& n = graph.nodes[i];
    const bool is_erf = IsOp(n, "Erf"), is_tanh = IsOp(n, "Tanh");
    if (!is_erf && !is_tanh) return false;
    const Matcher matcher(graph, index);
    std::optional<GeluMatch> match = is_erf ? matcher.MatchErf(i) : matcher.MatchTanh(i);
    if (!match) return false;
    ir::Node gelu = MakeGeluNode(graph.nodes[match->last], match->x, is_tanh);
    ReplaceWithFusedNode(graph, match->last, std::move(gelu), match->absorbed);
    return true;
  };
  KILN_ASSIGN_OR_RETURN(const bool changed, RewriteOneMatchPerScan(graph, fuse_at));
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
