// GraphPlan: a graph compiled for execution — nodes in topological order,
// each with its kernel and the value slots it reads and writes, plus when
// each intermediate value can be released. Built once per session (and once
// per subgraph); immutable afterwards and shared by concurrent runs.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/value.h"
#include "engine/ir/graph.h"
#include "engine/runtime/op_kernel.h"

namespace kiln {

class KernelRegistry;

class GraphPlan {
 public:
  struct Step {
    const ir::Node* node = nullptr;
    std::unique_ptr<OpKernel> kernel;
    int64_t opset = 0;           // imported version of the node's domain
    std::vector<int> inputs;     // slot per node input; -1 when omitted
    std::vector<int> outputs;    // slot per node output; -1 when unused
    std::vector<int> release;    // slots whose last reader is this step
  };

  // Compiles `graph`. `opsets` maps domain -> imported version; `outer_scope`
  // names values of enclosing graphs that `graph` may read; `threads` is the
  // intra-op thread count the plan will run with (KernelInit::threads).
  // Unsupported operators fail with Unimplemented listing all of them.
  // `initializers`, when given, is graph.initializers itself, writable: an
  // initializer read only by kernels that keep packed copies of it
  // (OpKernel::ReleaseConstantInput) is replaced there and in the plan by a
  // tensor without data as soon as its last reader is built, so weights are
  // not resident twice, not even at the peak of session creation.
  static Result<std::shared_ptr<const GraphPlan>> Compile(
      const ir::Graph& graph, const std::map<std::string, int64_t>& opsets, const KernelRegistry& registry,
      const std::unordered_set<std::string>& outer_scope = {}, int threads = 1,
      std::unordered_map<std::string, Tensor>* initializers = nullptr);

  const ir::Graph& graph() const { return *graph_; }
  const std::vector<Step>& steps() const { return steps_; }
  int num_slots() const { return num_slots_; }
  const std::vector<int>& input_slots() const { return input_slots_; }    // graph.inputs order
  const std::vector<int>& output_slots() const { return output_slots_; }  // graph.outputs order
  const std::vector<std::pair<int, Tensor>>& constants() const { return constants_; }
  const std::vector<std::pair<int, std::string>>& outer_reads() const { return outer_reads_; }
  // Slot of a named value, or -1.
  int SlotOf(const std::string& name) const;

 private:
  GraphPlan() = default;

  const ir::Graph* graph_ = nullptr;
  std::vector<Step> steps_;
  int num_slots_ = 0;
  std::unordered_map<std::string, int> slot_of_;
  std::vector<int> input_slots_;
  std::vector<int> output_slots_;
  std::vector<std::pair<int, Tensor>> constants_;          // initializers
  std::vector<std::pair<int, std::string>> outer_reads_;   // filled from the enclosing frame
};

}  // namespace kiln
