// Loop: runs its body subgraph while a trip count and/or a condition allow,
// threading loop-carried values (tensors, sequences or optionals) through the
// iterations and stacking per-iteration scan outputs along a new axis 0.
#include "engine/kernels/cpu/control_flow_util.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/tensor_slices.h"

namespace kiln::cpu {
namespace {

class LoopKernel final : public OpKernel {
 public:
  LoopKernel(std::shared_ptr<const GraphPlan> body, size_t num_carried, size_t num_scan_outputs)
      : body_(std::move(body)), num_carried_(num_carried), num_scan_outputs_(num_scan_outputs) {}

  Status Compute(KernelContext& ctx) const override {
    const bool has_trip_count = ctx.has_input(0);
    int64_t trip_count = 0;
    if (has_trip_count) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
      const Tensor& m = ctx.input(0);
      if (m.num_elements() != 1 || !IsInteger(m.dtype())) {
        return Status::InvalidArgument("trip count M must be an integer tensor with one element");
      }
      trip_count = m.GetInt(0);
    }
    bool cond = true;
    if (ctx.has_input(1)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      KILN_ASSIGN_OR_RETURN(cond, ReadCondition(ctx.input(1), "cond"));
    }

    std::vector<Value> carried(num_carried_);
    for (size_t i = 0; i < num_carried_; ++i) carried[i] = ctx.input_value(static_cast<int>(i) + 2);
    std::vector<std::vector<Tensor>> scan_parts(num_scan_outputs_);

    for (int64_t iter = 0; (!has_trip_count || iter < trip_count) && cond; ++iter) {
      std::vector<Value> body_inputs;
      body_inputs.reserve(num_carried_ + 2);
      body_inputs.emplace_back(Tensor::Scalar<int64_t>(iter));
      body_inputs.emplace_back(Tensor::Scalar<bool>(cond));
      for (Value& v : carried) body_inputs.push_back(std::move(v));
      KILN_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.RunSubgraph(*body_, std::move(body_inputs)));

      if (!outs[0].is_tensor()) return Status::InvalidArgument("the body's condition output must be a tensor");
      KILN_ASSIGN_OR_RETURN(cond, ReadCondition(outs[0].tensor(), "the body's condition output"));
      for (size_t i = 0; i < num_carried_; ++i) carried[i] = std::move(outs[i + 1]);
      for (size_t k = 0; k < num_scan_outputs_; ++k) {
        Value& v = outs[1 + num_carried_ + k];
        if (!v.is_tensor()) {
          return Status::InvalidArgument("scan output " + std::to_string(k) + " of the body must be a tensor, got " +
                                         v.Describe());
        }
        scan_parts[k].push_back(std::move(v.tensor()));
      }
    }

    for (size_t i = 0; i < num_carried_; ++i) ctx.SetOutput(static_cast<int>(i), std::move(carried[i]));
    const auto& body_outputs = body_->graph().outputs;
    for (size_t k = 0; k < num_scan_outputs_; ++k) {
      const int out_index = static_cast<int>(num_carried_ + k);
      if (scan_parts[k].empty()) {
        ctx.SetOutput(out_index, Value(EmptyScanOutput(body_outputs[1 + num_carried_ + k].type, 0)));
        continue;
      }
      auto stacked = StackAlongNewAxis(scan_parts[k], 0);
      if (!stacked.ok()) return stacked.status().WithContext("scan output " + std::to_string(k));
      ctx.SetOutput(out_index, Value(std::move(stacked).value()));
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GraphPlan> body_;
  size_t num_carried_;
  size_t num_scan_outputs_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeLoop(const KernelInit& init) {
  const ir::Graph* body = init.node.GetGraph("body");
  if (body == nullptr) return Status::InvalidArgument("Loop needs a body graph attribute");
  if (init.node.inputs.size() < 2) return Status::InvalidArgument("Loop needs the inputs M and cond (possibly empty)");
  const size_t num_carried = init.node.inputs.size() - 2;
  if (body->inputs.size() != num_carried + 2) {
    return Status::InvalidArgument("Loop body has " + std::to_string(body->inputs.size()) + " inputs, expected " +
                                   std::to_string(num_carried + 2) + " (iteration, condition, loop-carried values)");
  }
  if (body->outputs.size() < num_carried + 1) {
    return Status::InvalidArgument("Loop body has " + std::to_string(body->outputs.size()) +
                                   " outputs, expected at least " + std::to_string(num_carried + 1));
  }
  const size_t num_scan_outputs = body->outputs.size() - 1 - num_carried;
  if (init.node.outputs.size() > num_carried + num_scan_outputs) {
    return Status::InvalidArgument("Loop has more outputs than its body produces");
  }
  KILN_ASSIGN_OR_RETURN(auto plan, init.compile_subgraph(*body));
  return std::unique_ptr<OpKernel>(new LoopKernel(std::move(plan), num_carried, num_scan_outputs));
}

}  // namespace kiln::cpu
