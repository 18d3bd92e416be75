// Maps a parsed ONNX ModelProto onto Kiln's IR (ir::Model). Pure translation:
// it decodes initializers and attributes, converts types and recursively
// imports subgraphs; structural checks live in ir/verifier.h.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace onnx {
class ModelProto;
class GraphProto;
class TypeProto;
}  // namespace onnx

namespace kiln::onnx_import {

// `base_dir` is the model file's folder, where external data files live.
Result<ir::Model> ImportModel(const onnx::ModelProto& proto, const std::string& base_dir);
Result<ir::Graph> ImportGraph(const onnx::GraphProto& proto, const std::string& base_dir);
ir::TypeInfo ImportType(const onnx::TypeProto& proto);

}  // namespace kiln::onnx_import
