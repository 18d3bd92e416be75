#include "engine/passes/pass_manager.h"

#include <algorithm>

#include "engine/ir/verifier.h"
#include "engine/passes/attention_fusion.h"
#include "engine/passes/common_subexpression_elimination.h"
#include "engine/passes/constant_folding.h"
#include "engine/passes/conv_bn_folding.h"
#include "engine/passes/conv_channels_last.h"
#include "engine/passes/conv_fusion.h"
#include "engine/passes/conv_winograd.h"
#include "engine/passes/dead_code_elimination.h"
#include "engine/passes/dynamic_quant_fusion.h"
#include "engine/passes/qdq_fusion.h"
#include "engine/passes/gelu_fusion.h"
#include "engine/passes/int8_channels_last.h"
#include "engine/passes/int8_residual_fusion.h"
#include "engine/passes/layer_norm_fusion.h"
#include "engine/passes/matmul_fusion.h"
#include "engine/passes/reshape_chain.h"
#include "engine/passes/transpose_merge.h"

namespace kiln::passes {
namespace {

std::vector<std::unique_ptr<Pass>> DefaultPipeline() {
  std::vector<std::unique_ptr<Pass>> passes;
  // First: constant folding would turn quantized weights back into float.
  passes.push_back(std::make_unique<QdqFusionPass>());
  passes.push_back(std::make_unique<DynamicQuantFusionPass>());
  passes.push_back(std::make_unique<ConstantFoldingPass>());
  passes.push_back(std::make_unique<DeadCodeEliminationPass>());
  passes.push_back(std::make_unique<CommonSubexpressionEliminationPass>());
  passes.push_back(std::make_unique<ConvBatchNormFoldingPass>());
  passes.push_back(std::make_unique<ReshapeChainPass>());
  passes.push_back(std::make_unique<TransposeMergePass>());
  passes.push_back(std::make_unique<LayerNormFusionPass>());
  passes.push_back(std::make_unique<GeluFusionPass>());
  passes.push_back(std::make_unique<AttentionFusionPass>());
  // Conv/MatMul/Gemm kernel fusions last: the passes above match the plain
  // ONNX operators (MatMul, Add) first.
  passes.push_back(std::make_unique<ConvFusionPass>());
  passes.push_back(std::make_unique<MatMulFusionPass>());
  passes.push_back(std::make_unique<ConvChannelsLastPass>());
  passes.push_back(std::make_unique<ConvWinogradPass>());
  passes.push_back(std::make_unique<Int8ChannelsLastPass>());
  passes.push_back(std::make_unique<Int8ResidualFusionPass>());
  return passes;
}

}  // namespace

std::vector<std::string> PassManager::PassNames() {
  std::vector<std::string> names;
  for (const auto& pass : DefaultPipeline()) names.push_back(pass->name());
  return names;
}

Result<PassManager> PassManager::Create(const PassOptions& options) {
  const std::vector<std::string> known = PassNames();
  for (const auto& name : options.disabled) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument("unknown pass '" + name + "' (passes: " + list + ")");
    }
  }
  std::vector<std::unique_ptr<Pass>> passes;
  if (options.enabled) {
    for (auto& pass : DefaultPipeline()) {
      const auto& off = options.disabled;
      if (std::find(off.begin(), off.end(), pass->name()) == off.end()) passes.push_back(std::move(pass));
    }
  }
  return PassManager(std::move(passes), options.max_rounds);
}

Result<PassReport> PassManager::Run(ir::Model& model) const {
  PassReport report;
  if (passes_.empty()) return report;
  bool changed = true;
  while (changed && report.rounds < max_rounds_) {
    changed = false;
    ++report.rounds;
    for (const auto& pass : passes_) {
      auto result = pass->Run(model);
      if (!result.ok()) return result.status().WithContext("pass " + pass->name());
      if (!*result) continue;
      changed = true;
      if (std::find(report.changed.begin(), report.changed.end(), pass->name()) == report.changed.end())
        report.changed.push_back(pass->name());
    }
  }
  // A pass bug must not reach the runtime as a malformed graph.
  Status verified = ir::VerifyGraph(model.graph);
  if (!verified.ok()) return Status::Internal("graph passes produced an invalid graph: " + verified.message());
  return report;
}

Result<PassReport> OptimizeModel(ir::Model& model, const PassOptions& options) {
  KILN_ASSIGN_OR_RETURN(PassManager manager, PassManager::Create(options));
  return manager.Run(model);
}

}  // namespace kiln::passes
