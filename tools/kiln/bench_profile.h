// BenchProfile: where the time of `kiln bench --profile` runs goes, node by
// node. Each measured run reports how long each node of the optimized graph
// took (Session::Run's step_micros); the profile keeps every sample and
// reports each node's median, the nodes that take longest, and the totals
// per operator type, as a table or as JSON. The counterpart of ONNX
// Runtime's enableProfiling, to compare engines layer by layer
// (docs/performance.md, section 1).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "engine/ir/graph.h"

namespace kiln::tools {

class BenchProfile {
 public:
  // `order`: the session's ExecutionOrder().
  explicit BenchProfile(std::vector<const ir::Node*> order);

  // One run's step times (microseconds, one per node of `order`).
  void Add(const std::vector<double>& step_micros);

  struct NodeTime {
    std::string name, op;  // op: "domain::op_type" outside the default domain
    double median_ms = 0;
  };
  struct OperatorTime {
    std::string op;
    size_t nodes = 0;
    double median_ms = 0;  // sum of its nodes' medians
    double share = 0;      // of all nodes' medians
  };
  // Every node in execution order.
  std::vector<NodeTime> Nodes() const;
  // Per operator type, longest first.
  std::vector<OperatorTime> Operators() const;

  // The `top` longest nodes and every operator type.
  void PrintTable(std::ostream& out, size_t top) const;
  // {"runs": N, "nodes": [{"name", "op", "median_ms"}...], "operators": [{"op", "nodes", "median_ms", "share"}...]}
  std::string Json() const;

 private:
  std::vector<const ir::Node*> order_;
  std::vector<std::vector<double>> samples_;  // per node, one per run
};

}  // namespace kiln::tools
