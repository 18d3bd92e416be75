// Builds small ONNX models in tests (no binary fixtures checked in):
// a fluent wrapper over onnx::ModelProto.
#pragma once

#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "onnx/onnx_pb.h"

namespace kiln::testing {

class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13);

  // dims: -1 for a dynamic dimension (named "d<index>").
  ModelBuilder& Input(const std::string& name, DataType dt, const std::vector<int64_t>& dims);
  ModelBuilder& Output(const std::string& name, DataType dt, const std::vector<int64_t>& dims);
  ModelBuilder& Node(const std::string& op, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs, const std::string& domain = "");
  ModelBuilder& Initializer(const std::string& name, const std::vector<float>& values, const std::vector<int64_t>& dims);
  ModelBuilder& Opset(const std::string& domain, int64_t version);

  onnx::ModelProto& proto() { return model_; }
  std::string Serialize() const;
  // Writes the model to `path`.
  void Save(const std::string& path) const;

 private:
  onnx::ModelProto model_;
};

}  // namespace kiln::testing
