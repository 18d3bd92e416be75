// Loads an ONNX model file into Kiln's IR: read, parse, check with
// onnx::checker, run ONNX shape inference, import, verify the structure.
//
// Errors: NotFound (no such file), InvalidArgument (corrupt or invalid
// model), Unimplemented (a valid model using an opset or feature that Kiln
// does not support).
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace kiln::onnx_import {

// Highest ai.onnx opset Kiln implements.
inline constexpr int64_t kMaxSupportedOpset = 17;

struct LoadOptions {
  bool run_checker = true;      // onnx::checker::check_model
  bool infer_shapes = true;     // onnx::shape_inference, results stored in value_types
};

Result<ir::Model> LoadModelFile(const std::string& path, const LoadOptions& options = {});
// `base_dir`: where external data files are looked up.
Result<ir::Model> LoadModelBytes(const std::string& bytes, const std::string& base_dir,
                                 const LoadOptions& options = {});
Result<ir::Model> LoadModelBytes(const char* data, size_t size, const std::string& base_dir,
                                 const LoadOptions& options = {});

}  // namespace kiln::onnx_import
