#include "engine/passes/matmul_fusion.h"

#include <algorithm>

#include "engine/passes/fusable_activation.h"
#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

constexpr size_t kBiasInput = 2;
// kiln::Int8MatMul's inputs (kernels/cpu/int8_params.h).
constexpr size_t kInt8WeightInput = 3;
constexpr size_t kInt8OutputScaleInput = 6;
constexpr size_t kInt8FloatBiasInput = 8;

enum class Family { kNone, kMatMul, kGemm, kInt8MatMul };

Family FamilyOf(const ir::Node& node) {
  // An integer matmul with a float (dequantized) output takes float post-ops.
  if (node.domain == "kiln" && node.op_type == "Int8MatMul" && !HasInput(node, kInt8OutputScaleInput)) {
    return Family::kInt8MatMul;
  }
  if (node.domain.empty() && node.op_type == "MatMul") return Family::kMatMul;
  if (node.domain == "kiln" && node.op_type == "FusedMatMul") return Family::kMatMul;
  if (node.domain.empty() && node.op_type == "Gemm") return Family::kGemm;
  if (node.domain == "kiln" && node.op_type == "FusedGemm") return Family::kGemm;
  return Family::kNone;
}

// Columns N of the product, when B's shape is known.
std::optional<int64_t> ColumnsOf(const ir::Graph& graph, const ir::Node& node, Family family) {
  if (family == Family::kInt8MatMul) {
    const Tensor* w = ConstantValue(graph, node.inputs[kInt8WeightInput]);
    if (w == nullptr || w->rank() != 2) return std::nullopt;
    return w->dim(1);
  }
  auto b = StaticShape(graph, node.inputs[1]);
  if (!b || b->size() < 2) return std::nullopt;  // a 1-D B drops the N dimension
  if (family == Family::kGemm) {
    if (b->size() != 2) return std::nullopt;
    return node.GetInt("transB", 0) != 0 ? (*b)[0] : (*b)[1];
  }
  return b->back();
}

// `c` as a bias of n values when adding it to a [..., M, N] product changes
// nothing but the values: every dimension but the last is 1, the last is n
// or 1, and c's rank is at most `max_rank`.
std::optional<Tensor> RowBias(const Tensor& c, int64_t n, size_t max_rank) {
  if (c.dtype() != DataType::kFloat || c.rank() > static_cast<int>(max_rank)) return std::nullopt;
  for (int d = 0; d + 1 < c.rank(); ++d)
    if (c.dim(d) != 1) return std::nullopt;
  const int64_t last = c.rank() == 0 ? 1 : c.dim(c.rank() - 1);
  if (last != n && last != 1) return std::nullopt;
  Tensor bias = Tensor::Allocate(DataType::kFloat, {n});
  for (int64_t i = 0; i < n; ++i) bias.data<float>()[i] = c.data<float>()[last == 1 ? 0 : i];
  return bias;
}

bool Absorb(ir::Graph& graph, ir::Node& node, Family family, const ir::Node& reader) {
  const std::string& out = node.outputs[0];
  if (HasActivation(node)) return false;
  if (auto activation = MatchActivation(graph, reader); activation && reader.inputs[0] == out) {
    SetActivation(node, *activation);
    return true;
  }
  if (!reader.domain.empty() || reader.op_type != "Add" || reader.inputs.size() != 2) return false;
  const size_t bias_input = family == Family::kInt8MatMul ? kInt8FloatBiasInput : kBiasInput;
  if (HasInput(node, bias_input)) return false;
  const std::string& other = reader.inputs[0] == out ? reader.inputs[1] : reader.inputs[0];
  const Tensor* c = ConstantValue(graph, other);
  auto n = ColumnsOf(graph, node, family);
  if (c == nullptr || !n) return false;
  // The product's rank: Gemm's is 2; MatMul's at least 1 (B has 2 dimensions
  // or more here, so the product ends in N), which a 1-D or scalar c never
  // widens; a c of higher rank needs A's and B's ranks.
  size_t rank = 2;
  if (family != Family::kGemm && c->rank() <= 1) {
    rank = 1;
  } else if (family == Family::kInt8MatMul) {
    return false;  // a wider bias would need the input's rank
  } else if (family == Family::kMatMul) {
    auto a_rank = KnownRank(graph, node.inputs[0]);
    auto b_rank = KnownRank(graph, node.inputs[1]);
    if (!a_rank || !b_rank || *a_rank < 2) return false;
    rank = std::max(*a_rank, *b_rank);
  }
  auto bias = RowBias(*c, *n, rank);
  if (!bias) return false;
  const std::string base = node.name.empty() ? reader.outputs[0] : node.name;
  node.inputs.resize(std::max(node.inputs.size(), bias_input + 1));
  node.inputs[bias_input] = AddInitializer(graph, base + "_fused_bias", std::move(*bias));
  if (family == Family::kGemm) {
    ir::Attribute beta;
    beta.name = "beta";
    beta.type = ir::Attribute::Type::kFloat;
    beta.f = 1.0f;
    node.attributes["beta"] = beta;
  }
  return true;
}

}  // namespace

Result<bool> MatMulFusionPass::Run(ir::Model& model) {
  const auto is_product = [](const ir::Node& node) { return FamilyOf(node) != Family::kNone; };
  return FuseSoleReaders(model, is_product, [](ir::Graph& graph, ir::Node& node, const ir::Node& reader) {
    const Family family = FamilyOf(node);
    if (!Absorb(graph, node, family, reader)) return false;
    if (family == Family::kGemm) node.op_type = "FusedGemm";
    if (family == Family::kMatMul) node.op_type = "FusedMatMul";
    return true;
  });
}

}  // namespace kiln::passes
