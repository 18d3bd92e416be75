#include "engine/ir/verifier.h"

#include <functional>
#include <queue>
#include <unordered_map>

namespace kiln::ir {
namespace {

// Names defined inside `graph` itself (inputs, initializers, node outputs).
std::unordered_set<std::string> LocalNames(const Graph& graph) {
  std::unordered_set<std::string> names;
  for (const auto& vi : graph.inputs) names.insert(vi.name);
  for (const auto& kv : graph.initializers) names.insert(kv.first);
  for (const auto& n : graph.nodes)
    for (const auto& o : n.outputs)
      if (!o.empty()) names.insert(o);
  return names;
}

void CollectSubgraphReads(const Graph& graph, std::unordered_set<std::string>& out) {
  std::unordered_set<std::string> local = LocalNames(graph);
  for (const auto& n : graph.nodes) {
    for (const auto& in : n.inputs)
      if (!in.empty() && !local.count(in)) out.insert(in);
    for (const auto& kv : n.attributes) {
      std::vector<const Graph*> subs;
      if (kv.second.g) subs.push_back(kv.second.g.get());
      for (const auto& sg : kv.second.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs) {
        std::unordered_set<std::string> inner;
        CollectSubgraphReads(*sub, inner);
        for (const auto& name : inner)
          if (!local.count(name)) out.insert(name);
      }
    }
  }
  for (const auto& o : graph.outputs)
    if (!local.count(o.name)) out.insert(o.name);
}

}  // namespace

std::vector<std::string> OuterScopeReads(const Graph& graph) {
  std::unordered_set<std::string> reads;
  CollectSubgraphReads(graph, reads);
  return {reads.begin(), reads.end()};
}

Result<std::vector<size_t>> TopologicalOrder(const Graph& graph,
                                             const std::unordered_set<std::string>& outer_scope) {
  std::unordered_map<std::string, size_t> producer;
  std::unordered_set<std::string> available(outer_scope);
  for (const auto& vi : graph.inputs) available.insert(vi.name);
  for (const auto& kv : graph.initializers) available.insert(kv.first);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& o : graph.nodes[i].outputs) {
      if (o.empty()) continue;
      if (producer.count(o)) {
        return Status::InvalidArgument("value '" + o + "' is produced by two nodes: " +
                                       graph.nodes[producer[o]].Describe() + " and " + graph.nodes[i].Describe());
      }
      producer[o] = i;
    }
  }
  // Each node depends on its inputs and on the outer-scope reads of its subgraphs.
  std::vector<std::vector<std::string>> needs(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    for (const auto& in : n.inputs)
      if (!in.empty()) needs[i].push_back(in);
    for (const auto& kv : n.attributes) {
      std::vector<const Graph*> subs;
      if (kv.second.g) subs.push_back(kv.second.g.get());
      for (const auto& sg : kv.second.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs)
        for (const auto& name : OuterScopeReads(*sub)) needs[i].push_back(name);
    }
  }
  std::vector<int> pending(graph.nodes.size(), 0);
  std::unordered_map<std::string, std::vector<size_t>> consumers;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& name : needs[i]) {
      if (available.count(name) && !producer.count(name)) continue;
      if (!producer.count(name)) {
        return Status::InvalidArgument("node " + graph.nodes[i].Describe() + " reads value '" + name +
                                       "', which no node, input or initializer defines");
      }
      ++pending[i];
      consumers[name].push_back(i);
    }
  }
  // Among the nodes whose inputs are ready, the earliest in the graph's own
  // order runs first: a valid order stays as it is. That is the order the
  // exporter wrote (PyTorch: the forward pass's), which keeps a value's
  // producer close to its consumers; a breadth-first order would run every
  // consumer of a value before any of theirs (a ResNet block's shortcut
  // convolution right after the block's first one, its output then waiting
  // in memory while the main branch runs).
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<size_t> order;
  order.reserve(graph.nodes.size());
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (const auto& o : graph.nodes[i].outputs) {
      if (o.empty()) continue;
      for (size_t c : consumers[o])
        if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != graph.nodes.size()) {
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      if (pending[i] > 0) {
        return Status::InvalidArgument("the graph has a cycle through node " + graph.nodes[i].Describe());
      }
    }
  }
  return order;
}

Status VerifyGraph(const Graph& graph, const std::unordered_set<std::string>& outer_scope) {
  KILN_ASSIGN_OR_RETURN(auto order, TopologicalOrder(graph, outer_scope));
  (void)order;
  std::unordered_set<std::string> visible(outer_scope);
  for (const auto& name : LocalNames(graph)) visible.insert(name);
  for (const auto& out : graph.outputs) {
    if (!visible.count(out.name)) {
      return Status::InvalidArgument("graph output '" + out.name + "' is not produced by any node");
    }
  }
  for (const auto& n : graph.nodes) {
    for (const auto& kv : n.attributes) {
      std::vector<const Graph*> subs;
      if (kv.second.g) subs.push_back(kv.second.g.get());
      for (const auto& sg : kv.second.graphs) subs.push_back(sg.get());
      for (const Graph* sub : subs) {
        Status s = VerifyGraph(*sub, visible);
        if (!s.ok()) return s.WithContext("in subgraph '" + kv.first + "' of node " + n.Describe());
      }
    }
  }
  return Status::Ok();
}

}  // namespace kiln::ir
