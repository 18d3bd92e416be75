// Helpers for the pattern-fusion passes (GELU, LayerNormalization,
// attention, conv and matmul epilogues): an index of who produces and who
// reads each main-graph value, scalar-constant lookup, the "kiln" domain that
// fused internal operators live in, and the sweep that folds a node's only
// reader into it. A GraphIndex describes the graph as it was when built;
// rebuild it after changing the graph.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/status.h"
#include "engine/ir/graph.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {

// Domain of Kiln's internal operators (Gelu, Attention, ...), and its version.
inline constexpr const char* kKilnDomain = "kiln";
inline constexpr int64_t kKilnDomainVersion = 1;

// Imports the kiln domain into `model` so that the runtime finds the
// kernels of internal nodes.
void ImportKilnDomain(ir::Model& model);

class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& graph);

  // The node writing `value`, or nullopt for graph inputs, initializers and unknown names.
  std::optional<size_t> Producer(const std::string& value) const;
  // The main-graph nodes reading `value`, once per input slot.
  const std::vector<size_t>& Readers(const std::string& value) const;
  // The one node reading `value` (in one input slot) when the value may be
  // dropped by a fusion: not a graph output, not read by a subgraph.
  std::optional<size_t> SoleReader(const std::string& value) const;
  // True when `value` must keep existing: a graph output or read by a subgraph.
  bool Pinned(const std::string& value) const { return uses_.Pinned(value); }

 private:
  ValueUses uses_;
  std::unordered_map<std::string, std::vector<size_t>> readers_;
};

// A default-domain node of type `op_type`.
bool IsOp(const ir::Node& node, const char* op_type);

// The value of a one-element floating-point constant (an initializer that is
// not a graph input, or the output of a Constant node), or nullopt.
std::optional<double> ScalarConstant(const ir::Graph& graph, const GraphIndex& index, const std::string& name);

// True when `name` is a one-element constant within a relative 1e-4 of `expected`.
bool IsScalarNear(const ir::Graph& graph, const GraphIndex& index, const std::string& name, double expected);

// For a node with two inputs, one of which is `one`: the other input
// ("" when `one` is not an input or both inputs are `one`).
std::string OtherInput(const ir::Node& node, const std::string& one);

// Float element type known for `name` (declared, inferred or constant).
bool IsKnownFloat(const ir::Graph& graph, const std::string& name);

// Replaces node `last` with `fused` and removes the nodes in `absorbed`
// (which must not include `last`). Keeps topological order when every input
// of `fused` is available before the first absorbed node.
void ReplaceWithFusedNode(ir::Graph& graph, size_t last, ir::Node fused, const std::vector<size_t>& absorbed);

// Drives a pattern fusion that rewrites one match per scan (node indices
// shift when nodes are removed): each scan builds a fresh GraphIndex and
// calls `rewrite_at(index, i)` for the nodes in order until one returns true
// (it replaced a pattern anchored at node i); scans again until a scan
// rewrites nothing. True when something was rewritten; an error from
// `rewrite_at` is returned at once.
using RewriteAt = std::function<Result<bool>(const GraphIndex& index, size_t node)>;
Result<bool> RewriteOneMatchPerScan(ir::Graph& graph, const RewriteAt& rewrite_at);

// True when `node` has input slot `i` and it is not an omitted optional input.
bool HasInput(const ir::Node& node, size_t i);

// Folds epilogues into producers (conv_fusion, matmul_fusion). A candidate is
// a main-graph node accepted by `is_producer`, with at least two inputs and one
// output, whose output is read by exactly one main-graph node (and is neither a
// graph output nor read by a subgraph), and whose second input or output is a
// known float. `absorb(graph, fused, reader)` gets a copy of the candidate and
// makes it also compute `reader` (setting its op_type, adding initializers to
// `graph` as needed), or returns false to leave both alone. The fused node
// joins the kiln domain, writes the reader's output and runs where the later
// of the two ran. Sweeps until nothing changes and imports the kiln domain
// when something fused; true when something did.
using ProducerFilter = std::function<bool(const ir::Node&)>;
using ReaderAbsorber = std::function<bool(ir::Graph& graph, ir::Node& fused, const ir::Node& reader)>;
bool FuseSoleReaders(ir::Model& model, const ProducerFilter& is_producer, const ReaderAbsorber& absorb);

}  // namespace kiln::passes
