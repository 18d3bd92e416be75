// Helpers shared by the graph passes: who reads each value of the main
// graph, which values are constants, and small rewrites (renaming uses,
// bypassing a node, removing nodes) that keep graph outputs and values read
// by subgraphs intact.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/ir/graph.h"

namespace kiln::passes {

// Readers of the main graph's values. Subgraph reads and graph outputs pin a
// value: it must keep its name.
struct ValueUses {
  std::unordered_map<std::string, int> readers;         // count of main-graph node inputs reading the value
  std::unordered_map<std::string, size_t> producer;     // node index producing the value
  std::unordered_set<std::string> graph_outputs;
  std::unordered_set<std::string> subgraph_reads;       // read by a subgraph of some node

  static ValueUses Of(const ir::Graph& graph);
  int ReaderCount(const std::string& name) const;
  // True when the value's name must be kept (graph output or read by a subgraph).
  bool Pinned(const std::string& name) const { return graph_outputs.count(name) || subgraph_reads.count(name); }
};

// The subgraphs owned by a node's attributes.
std::vector<const ir::Graph*> SubgraphsOf(const ir::Node& node);
bool HasSubgraph(const ir::Node& node);

// The tensor of an initializer that callers cannot override (not also a
// graph input), or nullptr.
const Tensor* ConstantValue(const ir::Graph& graph, const std::string& name);

// The fully known shape of a tensor value (from a constant or the graph's
// declared/inferred types), or nullopt.
std::optional<Shape> StaticShape(const ir::Graph& graph, const std::string& name);

// Rank of a tensor value when known.
std::optional<size_t> KnownRank(const ir::Graph& graph, const std::string& name);

// Makes every main-graph node read `to` where it read `from`.
void ReplaceUses(ir::Graph& graph, const std::string& from, const std::string& to);

// Node `index` computes its output `out` as an exact copy of `in`. Rewires
// readers of `out` to `in` (or, when `out` is a graph output, renames `in`'s
// producer to write `out`) and removes the node. False, changing nothing,
// when names pinned by graph outputs or subgraphs make this impossible.
bool BypassNode(ir::Graph& graph, size_t index, const std::string& in, const std::string& out);

// Removes the nodes whose flag is set, keeping the order of the others.
void RemoveNodes(ir::Graph& graph, const std::vector<bool>& remove);

// Adds a constant (not a graph input) and returns its name: `base`, or
// `base` with a numeric suffix when that is taken.
std::string AddInitializer(ir::Graph& graph, const std::string& base, Tensor value);

// Random operators: never folded or merged.
bool IsNondeterministic(const ir::Node& node);

}  // namespace kiln::passes
