// SequenceMap: runs a body subgraph once per position of the input
// sequence(s), feeding the position's tensors (and any tensor inputs as they
// are), and collects each body output into an output sequence.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class SequenceMapKernel final : public OpKernel {
 public:
  explicit SequenceMapKernel(std::shared_ptr<const GraphPlan> body) : body_(std::move(body)) {}

  Status Compute(KernelContext& ctx) const override {
    const Value& first = ctx.input_value(0);
    if (!first.is_sequence()) return Status::InvalidArgument("input 0 must be a sequence, got " + first.Describe());
    const size_t length = first.sequence().items.size();
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      const Value& v = ctx.input_value(i);
      if (v.is_sequence() && v.sequence().items.size() != length) {
        return Status::InvalidArgument("input " + std::to_string(i) + " has " +
                                       std::to_string(v.sequence().items.size()) + " tensors, input 0 has " +
                                       std::to_string(length));
      }
      if (!v.is_sequence() && !v.is_tensor()) {
        return Status::InvalidArgument("input " + std::to_string(i) + " must be a sequence or a tensor");
      }
    }

    const auto& body_outputs = body_->graph().outputs;
    std::vector<Sequence> results(body_outputs.size());
    for (size_t k = 0; k < results.size(); ++k) {
      const ir::TypeInfo& type = body_outputs[k].type;
      if (type.kind == ir::TypeInfo::Kind::kTensor) results[k].elem_type = type.elem_type;
      results[k].items.reserve(length);
    }
    for (size_t pos = 0; pos < length; ++pos) {
      std::vector<Value> body_inputs;
      body_inputs.reserve(static_cast<size_t>(ctx.num_inputs()));
      for (int i = 0; i < ctx.num_inputs(); ++i) {
        const Value& v = ctx.input_value(i);
        body_inputs.emplace_back(v.is_sequence() ? v.sequence().items[pos] : v.tensor());
      }
      KILN_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.RunSubgraph(*body_, std::move(body_inputs)));
      for (size_t k = 0; k < outs.size(); ++k) {
        if (!outs[k].is_tensor()) {
          return Status::InvalidArgument("body output " + std::to_string(k) + " must be a tensor, got " +
                                         outs[k].Describe());
        }
        Sequence& seq = results[k];
        const DataType dtype = outs[k].tensor().dtype();
        if (!seq.items.empty() && seq.elem_type != dtype) {
          return Status::InvalidArgument("body output " + std::to_string(k) + " changes type between iterations");
        }
        seq.elem_type = dtype;
        seq.items.push_back(std::move(outs[k].tensor()));
      }
    }
    for (size_t k = 0; k < results.size(); ++k) ctx.SetOutput(static_cast<int>(k), Value(std::move(results[k])));
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GraphPlan> body_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSequenceMap(const KernelInit& init) {
  const ir::Graph* body = init.node.GetGraph("body");
  if (body == nullptr) return Status::InvalidArgument("SequenceMap needs a body graph attribute");
  if (body->inputs.size() != init.node.inputs.size()) {
    return Status::InvalidArgument("SequenceMap body has " + std::to_string(body->inputs.size()) +
                                   " inputs, the node has " + std::to_string(init.node.inputs.size()));
  }
  if (body->outputs.size() != init.node.outputs.size()) {
    return Status::InvalidArgument("SequenceMap body has " + std::to_string(body->outputs.size()) +
                                   " outputs, the node has " + std::to_string(init.node.outputs.size()));
  }
  KILN_ASSIGN_OR_RETURN(auto plan, init.compile_subgraph(*body));
  return std::unique_ptr<OpKernel>(new SequenceMapKernel(std::move(plan)));
}

}  // namespace kiln::cpu
