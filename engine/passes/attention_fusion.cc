#include "engine/passes/attention_fusion.h"

#include <array>
#include <optional>

#include "engine/passes/fusion_util.h"

namespace kiln::passes {
namespace {

using Perm = std::array<int64_t, 4>;
constexpr Perm kIdentity = {0, 1, 2, 3};

// The permutation of a 4-D Transpose node, or nullopt.
std::optional<Perm> TransposePerm(const ir::Node& node) {
  if (!IsOp(node, "Transpose") || node.inputs.size() != 1 || node.outputs.size() != 1) return std::nullopt;
  std::vector<int64_t> perm = node.HasAttribute("perm") ? node.GetInts("perm") : std::vector<int64_t>{3, 2, 1, 0};
  if (perm.size() != 4) return std::nullopt;
  Perm p{};
  std::array<bool, 4> seen{};
  for (size_t i = 0; i < 4; ++i) {
    if (perm[i] < 0 || perm[i] > 3 || seen[static_cast<size_t>(perm[i])]) return std::nullopt;
    seen[static_cast<size_t>(perm[i])] = true;
    p[i] = perm[i];
  }
  return p;
}

// A 4-D operand: the tensor the kernel reads and how its axes map to the
// operand's (logical = Transpose(source, perm)).
struct Source {
  std::string value;
  Perm perm = kIdentity;
};

Source ResolveTranspose(const ir::Graph& graph, const GraphIndex& index, const std::string& value) {
  if (std::optional<size_t> p = index.Producer(value)) {
    if (std::optional<Perm> perm = TransposePerm(graph.nodes[*p])) return {graph.nodes[*p].inputs[0], *perm};
  }
  return {value, kIdentity};
}

struct AttentionMatch {
  Source q, k, v;  // k in (batch, head, seq, feature) order
  std::string mask;
  float scale = 1.0f;
  Perm out_perm = kIdentity;
  size_t last = 0;
  std::vector<size_t> absorbed;
};

// Rank 4 by the value's type, or because a 4-D Transpose produces it (shape
// inference often loses the rank after a Reshape to a computed shape).
bool IsRank4(const ir::Graph& graph, const GraphIndex& index, const std::string& value) {
  std::optional<size_t> rank = KnownRank(graph, value);
  if (rank) return *rank == 4;
  std::optional<size_t> producer = index.Producer(value);
  return producer && TransposePerm(graph.nodes[*producer]).has_value();
}

std::optional<AttentionMatch> MatchAt(const ir::Model& model, const GraphIndex& index, size_t softmax) {
  const ir::Graph& graph = model.graph;
  const ir::Node& sm = graph.nodes[softmax];
  if (sm.inputs.size() != 1 || sm.outputs.size() != 1) return std::nullopt;
  const int64_t axis = sm.GetInt("axis", model.OpsetOf("") < 13 ? 1 : -1);
  if (axis != -1 && axis != 3) return std::nullopt;

  AttentionMatch match;
  match.absorbed.push_back(softmax);
  // The producer of `v` when `reader` is its only reader.
  auto step_up = [&](const std::string& v, size_t reader) -> std::optional<size_t> {
    std::optional<size_t> p = index.Producer(v);
    if (!p || index.SoleReader(v) != reader || graph.nodes[*p].outputs.size() != 1) return std::nullopt;
    return p;
  };
  // From scores read by `reader`: an optional scale, then the MatMul.
  // Appends to `nodes` and sets `scale`; the MatMul's index, or nullopt.
  auto match_scores = [&](const std::string& scores, size_t reader, float& scale,
                          std::vector<size_t>& nodes) -> std::optional<size_t> {
    std::optional<size_t> node = step_up(scores, reader);
    if (!node) return std::nullopt;
    const ir::Node& n = graph.nodes[*node];
    if ((IsOp(n, "Div") || IsOp(n, "Mul")) && n.inputs.size() == 2) {
      std::string product;
      if (IsOp(n, "Div")) {
        std::optional<double> c = ScalarConstant(graph, index, n.inputs[1]);
        if (!c || *c == 0) return std::nullopt;
        scale = static_cast<float>(1.0 / *c);
        product = n.inputs[0];
      } else {
        for (int k = 0; k < 2 && product.empty(); ++k) {
          std::optional<double> c = ScalarConstant(graph, index, n.inputs[static_cast<size_t>(k)]);
          if (c) {
            scale = static_cast<float>(*c);
            product = n.inputs[static_cast<size_t>(1 - k)];
          }
        }
        if (product.empty()) return std::nullopt;
      }
      nodes.push_back(*node);
      reader = *node;
      node = step_up(product, reader);
      if (!node) return std::nullopt;
    }
    if (!IsOp(graph.nodes[*node], "MatMul") || graph.nodes[*node].inputs.size() != 2) return std::nullopt;
    nodes.push_back(*node);
    return node;
  };

  std::vector<size_t> unmasked_nodes;
  std::optional<size_t> qk_index = match_scores(sm.inputs[0], softmax, match.scale, unmasked_nodes);
  if (qk_index) {
    match.absorbed.insert(match.absorbed.end(), unmasked_nodes.begin(), unmasked_nodes.end());
  } else {
    match.scale = 1.0f;
    // Scores plus an additive mask, in either order.
    std::optional<size_t> add = step_up(sm.inputs[0], softmax);
    if (!add || !IsOp(graph.nodes[*add], "Add") || graph.nodes[*add].inputs.size() != 2) return std::nullopt;
    const ir::Node& a = graph.nodes[*add];
    if (a.inputs[0] == a.inputs[1]) return std::nullopt;
    for (int k = 0; k < 2 && !qk_index; ++k) {
      std::vector<size_t> nodes = {*add};
      float scale = 1.0f;
      qk_index = match_scores(a.inputs[static_cast<size_t>(k)], *add, scale, nodes);
      if (qk_index) {
        match.mask = a.inputs[static_cast<size_t>(1 - k)];
        match.scale = scale;
        match.absorbed.insert(match.absorbed.end(), nodes.begin(), nodes.end());
      }
    }
    if (!qk_index || !IsKnownFloat(graph, match.mask)) return std::nullopt;
  }
  const ir::Node& qk = graph.nodes[*qk_index];

  // Probabilities times V.
  std::optional<size_t> pv = index.SoleReader(sm.outputs[0]);
  if (!pv || !IsOp(graph.nodes[*pv], "MatMul") || graph.nodes[*pv].inputs.size() != 2 ||
      graph.nodes[*pv].inputs[0] != sm.outputs[0] || graph.nodes[*pv].outputs.size() != 1)
    return std::nullopt;
  const std::string& v_value = graph.nodes[*pv].inputs[1];
  if (!IsRank4(graph, index, qk.inputs[0]) || !IsRank4(graph, index, qk.inputs[1]) ||
      !IsRank4(graph, index, v_value))
    return std::nullopt;
  if (!IsKnownFloat(graph, qk.inputs[0]) || !IsKnownFloat(graph, qk.inputs[1]) || !IsKnownFloat(graph, v_value))
    return std::nullopt;
  if (!match.mask.empty()) {
    std::optional<size_t> mask_rank = KnownRank(graph, match.mask);
    if (!mask_rank || *mask_rank > 4) return std::nullopt;
  }

  match.q = ResolveTranspose(graph, index, qk.inputs[0]);
  // The MatMul's second operand is K^T: (batch, head, feature, seq).
  Source kt = ResolveTranspose(graph, index, qk.inputs[1]);
  match.k = {kt.value, {kt.perm[0], kt.perm[1], kt.perm[3], kt.perm[2]}};
  match.v = ResolveTranspose(graph, index, v_value);

  // A head-merging Transpose of the result is absorbed too.
  const std::string& result = graph.nodes[*pv].outputs[0];
  match.last = *pv;
  if (std::optional<size_t> t = index.SoleReader(result)) {
    if (std::optional<Perm> perm = TransposePerm(graph.nodes[*t])) {
      match.out_perm = *perm;
      match.absorbed.push_back(*pv);
      match.last = *t;
    }
  }
  return match;
}

void SetInts(ir::Node& node, const std::string& key, const Perm& perm) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kInts;
  a.ints.assign(perm.begin(), perm.end());
  node.attributes[key] = std::move(a);
}

ir::Node MakeAttentionNode(const ir::Node& last, const AttentionMatch& match) {
  ir::Node node;
  node.name = last.name.empty() ? "attention" : last.name + "/attention";
  node.op_type = "Attention";
  node.domain = kKilnDomain;
  node.inputs = {match.q.value, match.k.value, match.v.value};
  if (!match.mask.empty()) node.inputs.push_back(match.mask);
  node.outputs = {last.outputs[0]};
  ir::Attribute scale;
  scale.name = "scale";
  scale.type = ir::Attribute::Type::kFloat;
  scale.f = match.scale;
  node.attributes["scale"] = std::move(scale);
  SetInts(node, "q_perm", match.q.perm);
  SetInts(node, "k_perm", match.k.perm);
  SetInts(node, "v_perm", match.v.perm);
  SetInts(node, "out_perm", match.out_perm);
  return node;
}

}  // namespace

Result<bool> AttentionFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  const auto fuse_at = [&](const GraphIndex& index, size_t i) -> Result<bool> {
    if (!IsOp(graph.nodes[i], "Softmax")) return false;
    std::optional<AttentionMatch> match = MatchAt(model, index, i);
    if (!match) return false;
    ir::Node fused = MakeAttentionNode(graph.nodes[match->last], *match);
    ReplaceWithFusedNode(graph, match->last, std::move(fused), match->absorbed);
    return true;
  };
  KILN_ASSIGN_OR_RETURN(const bool changed, RewriteOneMatchPerScan(graph, fuse_at));
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
