// Helpers for rewriting an ONNX ModelProto during quantization: value types
// (declared or inferred), initializer lookup and decoding, fresh unique
// names, new initializers and nodes. Owns nothing but a name registry; the
// ModelProto it edits must outlive it. Not thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "onnx/onnx_pb.h"

namespace kiln::quantization {

class ProtoEditor {
 public:
  // Runs ONNX shape inference on a copy of `model` to learn value types.
  ProtoEditor(onnx::ModelProto* model, std::string base_dir);

  onnx::GraphProto& graph() { return *model_->mutable_graph(); }
  // Element type (onnx::TensorProto::DataType) of a value, 0 when unknown.
  int ElemType(const std::string& value) const;
  bool IsFloat(const std::string& value) const { return ElemType(value) == onnx::TensorProto::FLOAT; }
  const onnx::TensorProto* FindInitializer(const std::string& name) const;
  Result<Tensor> ReadInitializer(const std::string& name) const;
  // ai.onnx opset the model imports (0 when none).
  int64_t Opset() const;

  // `base` if unused, else `base` with a numeric suffix; reserves it.
  std::string UniqueName(const std::string& base);

  // Adds an initializer (the name is made unique) and returns its name.
  std::string AddInitializer(const std::string& base, const Tensor& value);
  // A node that is not yet in the graph; the caller places it.
  onnx::NodeProto MakeNode(const std::string& op, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs, const std::string& name_base);

 private:
  onnx::ModelProto* model_;
  std::string base_dir_;
  std::map<std::string, int> types_;
  std::map<std::string, int> initializers_;  // name -> index in graph.initializer
  std::set<std::string> names_;
};

int64_t GetIntAttribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
float GetFloatAttribute(const onnx::NodeProto& node, const std::string& name, float fallback);
void SetIntAttribute(onnx::NodeProto& node, const std::string& name, int64_t value);

}  // namespace kiln::quantization
