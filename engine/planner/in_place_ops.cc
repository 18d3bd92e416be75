#include "engine/planner/in_place_ops.h"

#include <string_view>

namespace kiln::planner {
namespace {

// ai.onnx operators whose CPU kernels are elementwise over input 0.
constexpr std::string_view kUnary[] = {
    "Abs",  "Ceil",     "Clip",        "Elu",      "Erf",  "Exp",   "Floor",    "HardSigmoid", "HardSwish",
    "LeakyRelu", "Log", "Neg",         "Reciprocal", "Relu", "Round", "Selu",    "Sigmoid",     "Sign",
    "Softplus", "Softsign", "Sqrt",    "Tanh",     "ThresholdedRelu", "Celu", "Mish", "Sin", "Cos"};
// ai.onnx operators whose CPU kernels are elementwise over inputs 0 and 1
// (with broadcasting; only a same-shape input can be taken over).
constexpr std::string_view kBinary[] = {"Add", "Sub", "Mul", "Div"};

bool Contains(const std::string_view* begin, const std::string_view* end, const std::string& op) {
  for (const std::string_view* p = begin; p != end; ++p)
    if (*p == op) return true;
  return false;
}

}  // namespace

std::vector<int> InPlaceCandidates(const GraphPlan::Step& step) {
  if (step.kernel != nullptr) {
    const int declared = step.kernel->InPlaceInput();
    if (declared >= 0) return {declared};
  }
  const ir::Node& node = *step.node;
  if (!node.domain.empty()) return {};
  if (Contains(std::begin(kUnary), std::end(kUnary), node.op_type)) return {0};
  if (Contains(std::begin(kBinary), std::end(kBinary), node.op_type)) return {0, 1};
  return {};
}

}  // namespace kiln::planner
