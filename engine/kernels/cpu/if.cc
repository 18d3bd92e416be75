// If: runs the then_branch or else_branch subgraph depending on a boolean
// condition and returns that branch's outputs (tensors, sequences or optionals).
#include "engine/kernels/cpu/control_flow_util.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class IfKernel final : public OpKernel {
 public:
  IfKernel(std::shared_ptr<const GraphPlan> then_plan, std::shared_ptr<const GraphPlan> else_plan)
      : then_plan_(std::move(then_plan)), else_plan_(std::move(else_plan)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_ASSIGN_OR_RETURN(bool cond, ReadCondition(ctx.input(0), "cond"));
    const GraphPlan& branch = cond ? *then_plan_ : *else_plan_;
    KILN_ASSIGN_OR_RETURN(std::vector<Value> outputs, ctx.RunSubgraph(branch, {}));
    for (size_t i = 0; i < outputs.size(); ++i) ctx.SetOutput(static_cast<int>(i), std::move(outputs[i]));
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GraphPlan> then_plan_;
  std::shared_ptr<const GraphPlan> else_plan_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeIf(const KernelInit& init) {
  const ir::Graph* then_graph = init.node.GetGraph("then_branch");
  const ir::Graph* else_graph = init.node.GetGraph("else_branch");
  if (then_graph == nullptr || else_graph == nullptr) {
    return Status::InvalidArgument("If needs then_branch and else_branch graph attributes");
  }
  const size_t num_outputs = init.node.outputs.size();
  if (then_graph->outputs.size() != num_outputs || else_graph->outputs.size() != num_outputs) {
    return Status::InvalidArgument("If has " + std::to_string(num_outputs) + " outputs but its branches have " +
                                   std::to_string(then_graph->outputs.size()) + " and " +
                                   std::to_string(else_graph->outputs.size()));
  }
  KILN_ASSIGN_OR_RETURN(auto then_plan, init.compile_subgraph(*then_graph));
  KILN_ASSIGN_OR_RETURN(auto else_plan, init.compile_subgraph(*else_graph));
  return std::unique_ptr<OpKernel>(new IfKernel(std::move(then_plan), std::move(else_plan)));
}

}  // namespace kiln::cpu
