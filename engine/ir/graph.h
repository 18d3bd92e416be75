// Kiln's intermediate representation of a model: a Graph of Nodes that
// consume and produce named values, with initializers (constant tensors) and
// typed graph inputs and outputs. Subgraphs (If/Loop/Scan bodies) are Graphs
// owned by a node's attributes and may read values of enclosing graphs by name.
//
// The IR is plain data: the ONNX importer builds it, passes rewrite it, and
// the runtime compiles it into an execution plan. It is not thread-safe to
// mutate; a finished Graph can be read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "engine/ir/attribute.h"
#include "engine/ir/type_info.h"

namespace kiln::ir {

class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;                // "" for the default ONNX domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an unused optional output
  std::map<std::string, Attribute> attributes;

  bool HasAttribute(const std::string& key) const { return attributes.count(key) > 0; }
  const Attribute* FindAttribute(const std::string& key) const;

  // Typed attribute getters returning `fallback` when the attribute is absent.
  int64_t GetInt(const std::string& key, int64_t fallback) const;
  float GetFloat(const std::string& key, float fallback) const;
  std::string GetString(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> GetFloats(const std::string& key, std::vector<float> fallback = {}) const;
  std::vector<std::string> GetStrings(const std::string& key, std::vector<std::string> fallback = {}) const;
  // nullptr when absent.
  const Tensor* GetTensor(const std::string& key) const;
  const Graph* GetGraph(const std::string& key) const;

  // "Conv 'conv1'" for messages.
  std::string Describe() const;
};

class Graph {
 public:
  std::string name;
  std::vector<ValueInfo> inputs;   // may include names that also have initializers
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes;
  std::unordered_map<std::string, Tensor> initializers;
  std::vector<std::string> initializer_order;  // insertion order, for stable output
  std::unordered_map<std::string, TypeInfo> value_types;  // intermediate types from the model / inference

  // Inputs that are not also initializers: what a caller must feed.
  std::vector<const ValueInfo*> RuntimeInputs() const;
  // Declared or inferred type of a value, or nullptr.
  const TypeInfo* FindType(const std::string& value_name) const;
};

struct Model {
  Graph graph;
  std::map<std::string, int64_t> opset_imports;  // domain ("" = ai.onnx) -> version
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  int64_t model_version = 0;
  std::string doc_string;
  std::map<std::string, std::string> metadata;

  // Opset of `domain` ("ai.onnx" and "" are the same), or 0 when not imported.
  int64_t OpsetOf(const std::string& domain) const;
};

// Canonical form of a domain name: "ai.onnx" -> "".
std::string NormalizeDomain(const std::string& domain);

}  // namespace kiln::ir
