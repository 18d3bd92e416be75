#include "engine/runtime/graph_plan.h"

#include <algorithm>

#include "engine/ir/verifier.h"
#include "engine/kernels/cpu/registry.h"

namespace kiln {

namespace {

std::vector<const ir::Graph*> SubgraphsOf(const ir::Node& node) {
  std::vector<const ir::Graph*> subs;
  for (const auto& kv : node.attributes) {
    if (kv.second.g) subs.push_back(kv.second.g.get());
    for (const auto& g : kv.second.graphs) subs.push_back(g.get());
  }
  return subs;
}

// Tracks which initializers every reader has released
// (OpKernel::ReleaseConstantInput) while a plan's kernels are built, and
// replaces those in the graph by tensors without data.
class ConstantRelease {
 public:
  // Does nothing when `initializers` is null.
  ConstantRelease(const ir::Graph& graph, std::unordered_map<std::string, Tensor>* initializers)
      : initializers_(initializers) {
    if (initializers_ == nullptr) return;
    for (const auto& node : graph.nodes) {
      for (const auto& in : node.inputs) {
        if (!in.empty() && initializers_->count(in) > 0) ++unbuilt_readers_[in];
      }
      // Read by a subgraph: not through a kernel input.
      for (const ir::Graph* sub : SubgraphsOf(node))
        for (const auto& name : ir::OuterScopeReads(*sub)) kept_.insert(name);
    }
    for (const auto& vi : graph.outputs) kept_.insert(vi.name);
    for (const auto& vi : graph.inputs) kept_.insert(vi.name);  // overridable defaults
  }

  // Offers `kernel` (just built for `node`) its constant inputs; returns
  // the initializers now released by all their readers, replaced in the
  // graph already.
  std::vector<std::string> AfterBuilding(const ir::Node& node, OpKernel& kernel) {
    std::vector<std::string> released;
    if (initializers_ == nullptr) return released;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& name = node.inputs[i];
      auto readers = unbuilt_readers_.find(name);
      if (readers == unbuilt_readers_.end()) continue;
      if (kept_.count(name) > 0 || !kernel.ReleaseConstantInput(i)) kept_.insert(name);
      if (--readers->second > 0 || kept_.count(name) > 0) continue;
      Tensor& constant = initializers_->at(name);
      constant = Tensor::Borrow(constant.dtype(), constant.shape(), nullptr, nullptr);
      released.push_back(name);
    }
    return released;
  }

 private:
  std::unordered_map<std::string, Tensor>* initializers_;
  std::unordered_map<std::string, int> unbuilt_readers_;  // per initializer
  std::unordered_set<std::string> kept_;                  // some reader needs the data
};

}  // namespace

int GraphPlan::SlotOf(const std::string& name) const {
  auto it = slot_of_.find(name);
  return it == slot_of_.end() ? -1 : it->second;
}

Result<std::shared_ptr<const GraphPlan>> GraphPlan::Compile(const ir::Graph& graph,
                                                             const std::map<std::string, int64_t>& opsets,
                                                             const KernelRegistry& registry,
                                                             const std::unordered_set<std::string>& outer_scope,
                                                             int threads,
                                                             std::unordered_map<std::string, Tensor>* initializers) {
  KILN_ASSIGN_OR_RETURN(std::vector<size_t> order, ir::TopologicalOrder(graph, outer_scope));
  std::shared_ptr<GraphPlan> plan(new GraphPlan());
  plan->graph_ = &graph;

  std::unordered_set<std::string> local;
  auto slot = [&](const std::string& name) -> int {
    auto it = plan->slot_of_.find(name);
    if (it != plan->slot_of_.end()) return it->second;
    int s = plan->num_slots_++;
    plan->slot_of_[name] = s;
    return s;
  };
  for (const auto& vi : graph.inputs) {
    plan->input_slots_.push_back(slot(vi.name));
    local.insert(vi.name);
  }
  std::unordered_map<std::string, size_t> constant_index;
  for (const auto& name : graph.initializer_order) {
    constant_index[name] = plan->constants_.size();
    plan->constants_.emplace_back(slot(name), graph.initializers.at(name));
    local.insert(name);
  }
  ConstantRelease release(graph, initializers);
  for (const auto& n : graph.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty()) local.insert(o);
  auto use = [&](const std::string& name) -> int {
    if (!local.count(name) && !plan->slot_of_.count(name)) {
      int s = slot(name);
      plan->outer_reads_.emplace_back(s, name);
      return s;
    }
    return slot(name);
  };

  // Names visible to this graph's subgraphs.
  std::unordered_set<std::string> visible(outer_scope);
  visible.insert(local.begin(), local.end());

  std::vector<std::string> unsupported;
  std::vector<std::vector<int>> reads(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const ir::Node& node = graph.nodes[order[k]];
    Step step;
    step.node = &node;
    for (const auto& in : node.inputs) {
      step.inputs.push_back(in.empty() ? -1 : use(in));
      if (!in.empty()) reads[k].push_back(step.inputs.back());
    }
    for (const ir::Graph* sub : SubgraphsOf(node))
      for (const auto& name : ir::OuterScopeReads(*sub)) reads[k].push_back(use(name));
    for (const auto& out : node.outputs) step.outputs.push_back(out.empty() ? -1 : slot(out));

    auto opset_it = opsets.find(node.domain);
    int64_t opset = opset_it == opsets.end() ? 0 : opset_it->second;
    step.opset = opset;
    const KernelEntry* entry = registry.Find(node.domain, node.op_type, opset);
    if (entry == nullptr) {
      std::string what = (node.domain.empty() ? "" : node.domain + "::") + node.op_type +
                         (opset_it == opsets.end() ? " (domain not imported)" : " (opset " + std::to_string(opset) + ")");
      if (std::find(unsupported.begin(), unsupported.end(), what) == unsupported.end()) unsupported.push_back(what);
      plan->steps_.push_back(std::move(step));
      continue;
    }
    KernelInit init{node, opset, graph,
                    [&opsets, &registry, visible, threads](const ir::Graph& sub) {
                      return GraphPlan::Compile(sub, opsets, registry, visible, threads);
                    },
                    threads};
    auto kernel = entry->factory(init);
    if (!kernel.ok()) {
      if (kernel.status().IsUnimplemented()) {
        unsupported.push_back(node.op_type + ": " + kernel.status().message());
        plan->steps_.push_back(std::move(step));
        continue;
      }
      return kernel.status().WithContext("node " + node.Describe());
    }
    step.kernel = std::move(kernel).value();
    for (const std::string& name : release.AfterBuilding(node, *step.kernel)) {
      auto index = constant_index.find(name);
      if (index == constant_index.end()) continue;
      Tensor& constant = plan->constants_[index->second].second;
      constant = Tensor::Borrow(constant.dtype(), constant.shape(), nullptr, nullptr);
    }
    plan->steps_.push_back(std::move(step));
  }
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
    return Status::Unimplemented("Kiln does not support operator" + std::string(unsupported.size() > 1 ? "s " : " ") +
                                 list);
  }
  for (const auto& out : graph.outputs) plan->output_slots_.push_back(use(out.name));

  // Release each intermediate after its last reader; graph outputs stay.
  std::vector<int> last_reader(static_cast<size_t>(plan->num_slots_), -1);
  for (size_t k = 0; k < reads.size(); ++k)
    for (int s : reads[k]) last_reader[static_cast<size_t>(s)] = static_cast<int>(k);
  for (int s : plan->output_slots_) last_reader[static_cast<size_t>(s)] = -1;
  for (size_t s = 0; s < last_reader.size(); ++s) {
    if (last_reader[s] >= 0) plan->steps_[static_cast<size_t>(last_reader[s])].release.push_back(static_cast<int>(s));
  }
  return std::shared_ptr<const GraphPlan>(std::move(plan));
}

}  // namespace kiln
