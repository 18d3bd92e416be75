// Structural checks of an IR graph and its topological order: every value is
// produced once, every consumed value exists (graph input, initializer, an
// earlier node, or — inside a subgraph — an enclosing graph), and the nodes
// form no cycle. Corrupt or hand-made models fail here with a precise message
// instead of crashing the runtime.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace kiln::ir {

// Node indices of `graph` in an order where producers come before consumers.
// `outer_scope` holds the names visible from enclosing graphs.
Result<std::vector<size_t>> TopologicalOrder(const Graph& graph,
                                             const std::unordered_set<std::string>& outer_scope);

// Verifies `graph` and, recursively, its subgraphs.
Status VerifyGraph(const Graph& graph, const std::unordered_set<std::string>& outer_scope = {});

// Names a subgraph reads from enclosing scopes (recursively through nested subgraphs).
std::vector<std::string> OuterScopeReads(const Graph& graph);

}  // namespace kiln::ir
