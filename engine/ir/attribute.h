// Attribute: one named, typed constant parameter of a node (ONNX AttributeProto
// converted to Kiln types). Subgraph attributes own their ir::Graph.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/ir/type_info.h"

namespace kiln::ir {

class Graph;

struct Attribute {
  enum class Type {
    kUndefined, kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings,
    kTensors, kGraphs, kSparseTensor, kTypeProto, kTypeProtos
  };

  std::string name;
  Type type = Type::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  TypeInfo tp;
};

const char* AttributeTypeName(Attribute::Type type);

}  // namespace kiln::ir
