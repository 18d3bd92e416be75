// Maps a parsed ONNX ModelProto onto Kiln's IR (ir::Model). Pure translation:
// it decodes initializers and attributes, converts types and recursively
// imports subgraphs; structural checks live in ir/verifier.h.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/ir/graph.h"
#include "engine/onnx/initializer_payloads.h"

namespace onnx {
class ModelProto;
class GraphProto;
class TypeProto;
}  // namespace onnx

namespace kiln::onnx_import {

// `base_dir` is the model file's folder, where external data files live.
// `payloads` (may be null): where the main graph's initializers whose
// raw_data was stripped from `proto` find it (initializer_payloads.h).
Result<ir::Model> ImportModel(const onnx::ModelProto& proto, const std::string& base_dir,
                              const InitializerPayloads* payloads = nullptr);
Result<ir::Graph> ImportGraph(const onnx::GraphProto& proto, const std::string& base_dir,
                              const InitializerPayloads* payloads = nullptr);
ir::TypeInfo ImportType(const onnx::TypeProto& proto);

}  // namespace kiln::onnx_import
