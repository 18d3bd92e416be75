#include "engine/runtime/session.h"

#include "engine/kernels/cpu/bf16_support.h"
#include "engine/kernels/cpu/registry.h"
#include "engine/passes/bf16_conversion.h"
#include "engine/runtime/executor.h"

namespace kiln {

Result<std::unique_ptr<Session>> Session::Create(const std::string& path, const SessionOptions& options) {
  KILN_ASSIGN_OR_RETURN(ir::Model model, onnx_import::LoadModelFile(path, options.load));
  auto session = Create(std::move(model), options);
  if (!session.ok()) return session.status().WithContext("'" + path + "'");
  return session;
}

Result<std::unique_ptr<Session>> Session::Create(ir::Model model, const SessionOptions& options) {
  if (options.threads < 0) {
    return Status::InvalidArgument("threads must be 0 (all available cores) or positive, got " +
                                   std::to_string(options.threads));
  }
  const int threads = options.threads == 0 ? ThreadPool::AvailableCores() : options.threads;
  auto owned = std::make_unique<ir::Model>(std::move(model));
  if (options.precision == Precision::kBFloat16) {
    if (!cpu::CpuSupportsBf16()) {
      return Status::Unimplemented("bf16 precision needs a CPU with AVX-512 BF16 (this one offers " +
                                   cpu::CpuIsaName() + "); run in float32 instead");
    }
    // Before the other passes, which fuse the float operators it converts.
    KILN_RETURN_IF_ERROR(passes::Bf16ConversionPass().Run(*owned).status());
  }
  KILN_RETURN_IF_ERROR(passes::OptimizeModel(*owned, options.optimize).status());
  KILN_ASSIGN_OR_RETURN(auto plan, GraphPlan::Compile(owned->graph, owned->opset_imports, KernelRegistry::Cpu(), {},
                                                        threads, &owned->graph.initializers));
  return std::unique_ptr<Session>(new Session(std::move(owned), std::move(plan), threads, options));
}

std::vector<const ir::ValueInfo*> Session::inputs() const {
  std::vector<const ir::ValueInfo*> out;
  for (const auto& vi : model_->graph.inputs) out.push_back(&vi);
  return out;
}

Status Session::CheckFeed(const ir::ValueInfo& input, const Value& value) const {
  const ir::TypeInfo& type = input.type;
  const std::string label = "input '" + input.name + "'";
  using Kind = ir::TypeInfo::Kind;
  switch (type.kind) {
    case Kind::kTensor: {
      if (!value.is_tensor()) return Status::InvalidArgument(label + " must be a tensor, got " + value.Describe());
      const Tensor& t = value.tensor();
      if (type.elem_type != DataType::kUndefined && t.dtype() != type.elem_type) {
        return Status::InvalidArgument(label + " must have data type " + std::string(DataTypeName(type.elem_type)) +
                                       ", got " + std::string(DataTypeName(t.dtype())));
      }
      if (type.shape) {
        const auto& dims = *type.shape;
        if (static_cast<size_t>(t.rank()) != dims.size()) {
          return Status::InvalidArgument(label + " must have rank " + std::to_string(dims.size()) + " (shape " +
                                         type.ToString() + "), got shape " + ShapeToString(t.shape()));
        }
        for (size_t d = 0; d < dims.size(); ++d) {
          if (dims[d].is_fixed() && dims[d].value != t.shape()[d]) {
            return Status::InvalidArgument(label + " dimension " + std::to_string(d) + " must be " +
                                           std::to_string(dims[d].value) + " (shape " + type.ToString() +
                                           "), got shape " + ShapeToString(t.shape()));
          }
        }
      }
      return Status::Ok();
    }
    case Kind::kSequence:
      if (!value.is_sequence()) return Status::InvalidArgument(label + " must be a sequence, got " + value.Describe());
      return Status::Ok();
    case Kind::kOptional:
      if (value.is_none() || !type.inner) return Status::Ok();
      if (type.inner->kind == Kind::kTensor && !value.is_tensor())
        return Status::InvalidArgument(label + " must be an optional tensor, got " + value.Describe());
      if (type.inner->kind == Kind::kSequence && !value.is_sequence())
        return Status::InvalidArgument(label + " must be an optional sequence, got " + value.Describe());
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

Result<std::vector<Value>> Session::GatherInputs(const std::map<std::string, Value>& feeds) const {
  const ir::Graph& graph = model_->graph;
  for (const auto& kv : feeds) {
    bool known = false;
    for (const auto& vi : graph.inputs) known = known || vi.name == kv.first;
    if (!known) {
      std::string expected;
      for (const auto* vi : graph.RuntimeInputs()) expected += (expected.empty() ? "'" : ", '") + vi->name + "'";
      return Status::InvalidArgument("the model has no input named '" + kv.first + "' (its inputs: " +
                                     (expected.empty() ? "none" : expected) + ")");
    }
  }
  std::vector<Value> inputs;
  inputs.reserve(graph.inputs.size());
  for (const auto& vi : graph.inputs) {
    auto it = feeds.find(vi.name);
    if (it == feeds.end()) {
      bool has_default = graph.initializers.count(vi.name) > 0;
      bool optional = vi.type.kind == ir::TypeInfo::Kind::kOptional;
      if (!has_default && !optional) {
        return Status::InvalidArgument("input '" + vi.name + "' (" + vi.type.ToString() + ") is missing");
      }
      inputs.emplace_back();
      continue;
    }
    KILN_RETURN_IF_ERROR(CheckFeed(vi, it->second));
    inputs.push_back(it->second);
  }
  return inputs;
}

Result<std::vector<Value>> Session::Run(const std::map<std::string, Value>& feeds,
                                        std::vector<double>* step_micros) const {
  KILN_ASSIGN_OR_RETURN(std::vector<Value> inputs, GatherInputs(feeds));
  if (thread_count_chooser_ == nullptr) return Execute(std::move(inputs), thread_pool_.get(), nullptr, step_micros);
  using Mode = ThreadCountChooser::Mode;
  const planner::ShapeSignature signature = planner::ShapeSignature::Of(inputs);
  const auto start = ThreadCountChooser::Clock::now();
  const Mode mode = thread_count_chooser_->Choose(signature, start);
  if (mode == Mode::kOneThread) one_thread_runs_.fetch_add(1, std::memory_order_relaxed);
  auto outputs =
      Execute(std::move(inputs), mode == Mode::kAllThreads ? thread_pool_.get() : nullptr, &signature, step_micros);
  if (outputs.ok()) {
    const std::chrono::duration<double, std::micro> took = ThreadCountChooser::Clock::now() - start;
    thread_count_chooser_->Record(signature, mode, took.count());
  }
  return outputs;
}

Result<std::vector<Value>> Session::Execute(std::vector<Value> inputs, ThreadPool* thread_pool,
                                            const planner::ShapeSignature* signature,
                                            std::vector<double>* step_micros) const {
  if (memory_planner_ != nullptr) return memory_planner_->Run(std::move(inputs), thread_pool, signature, step_micros);
  return ExecutePlan(*plan_, std::move(inputs), nullptr, thread_pool, nullptr, step_micros);
}

std::vector<const ir::Node*> Session::ExecutionOrder() const {
  std::vector<const ir::Node*> nodes;
  nodes.reserve(plan_->steps().size());
  for (const GraphPlan::Step& step : plan_->steps()) nodes.push_back(step.node);
  return nodes;
}

Result<planner::MemoryPlan::Stats> Session::PlanMemory(const std::map<std::string, Value>& feeds) const {
  if (memory_planner_ == nullptr) return Status::FailedPrecondition("memory planning is off for this session");
  KILN_ASSIGN_OR_RETURN(std::vector<Value> inputs, GatherInputs(feeds));
  KILN_ASSIGN_OR_RETURN(auto plan, memory_planner_->PlanFor(std::move(inputs), thread_pool_.get()));
  return plan->stats();
}

}  // namespace kiln
