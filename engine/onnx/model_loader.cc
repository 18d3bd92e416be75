#include "engine/onnx/model_loader.h"

#include <google/protobuf/io/coded_stream.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/io/mapped_file.h"
#include "engine/ir/verifier.h"
#include "engine/onnx/importer.h"
#include "engine/onnx/initializer_payloads.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace kiln::onnx_import {
namespace {

namespace fs = std::filesystem;

Status ParseModel(const char* data, size_t size, onnx::ModelProto* proto) {
  if (size == 0) return Status::InvalidArgument("the model file is empty");
  if (size > static_cast<size_t>(INT32_MAX)) {
    return Status::InvalidArgument("the model file is larger than 2 GiB; store its weights as external data");
  }
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(data), static_cast<int>(size));
  stream.SetTotalBytesLimit(INT32_MAX);
  if (!proto->ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    return Status::InvalidArgument("the file is not a valid ONNX model (protobuf parsing failed; is it truncated?)");
  }
  if (!proto->has_graph()) return Status::InvalidArgument("the model has no graph (is it an ONNX model file?)");
  return Status::Ok();
}

Status CheckOpsets(const onnx::ModelProto& proto) {
  for (const auto& op : proto.opset_import()) {
    std::string domain = ir::NormalizeDomain(op.domain());
    if (domain.empty() && op.version() > kMaxSupportedOpset) {
      return Status::Unimplemented("the model imports ai.onnx opset " + std::to_string(op.version()) +
                                   "; Kiln supports opsets 1 to " + std::to_string(kMaxSupportedOpset) +
                                   " (re-export the model with a lower opset)");
    }
  }
  return Status::Ok();
}

// onnx::checker::check_model(ModelProto) resolves external data against the
// working directory; build the context ourselves so that it uses base_dir.
void CheckModelProto(const onnx::ModelProto& proto, const std::string& base_dir) {
  if (!proto.has_ir_version() || proto.ir_version() <= 0) {
    fail_check("the model does not set ir_version");
  }
  if (proto.ir_version() > onnx::IR_VERSION) {
    fail_check("the model's ir_version ", proto.ir_version(), " is newer than this ONNX library supports (",
               onnx::IR_VERSION, ")");
  }
  std::unordered_map<std::string, int> opsets;
  for (const auto& op : proto.opset_import()) opsets[op.domain()] = static_cast<int>(op.version());
  if (proto.ir_version() >= 3 && opsets.empty()) fail_check("the model has no opset_import");
  onnx::checker::CheckerContext ctx;
  ctx.set_ir_version(static_cast<int>(proto.ir_version()));
  ctx.set_opset_imports(opsets);
  ctx.set_model_dir(base_dir.empty() ? "." : base_dir);
  onnx::checker::LexicalScopeContext lex;
  onnx::checker::check_graph(proto.graph(), ctx, lex);
  onnx::checker::check_model_local_functions(proto, ctx, lex);
}

Status RunChecker(const onnx::ModelProto& proto, const std::string& base_dir) {
  try {
    CheckModelProto(proto, base_dir);
  } catch (const std::exception& e) {
    std::string what = e.what();
    // Keep the first line: the checker appends a long "==> Context" trailer.
    std::string first = what.substr(0, what.find('\n'));
    if (what.find("No Op registered") != std::string::npos ||
        what.find("No opset import for domain") != std::string::npos ||
        what.find("is not a registered") != std::string::npos) {
      return Status::Unimplemented("the model uses an operator that ONNX does not define: " + first);
    }
    if (what.find("should be stored in") != std::string::npos) {
      return Status::NotFound("external data is missing: " + first);
    }
    return Status::InvalidArgument("the model fails the ONNX checker: " + first);
  }
  return Status::Ok();
}

void InferShapes(onnx::ModelProto& proto) {
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    // Shape inference is advisory: the runtime computes every shape itself.
  }
}

// Initializers at least this large are borrowed from the mapped file
// instead of being parsed; smaller ones (shape inputs that ONNX shape
// inference reads) stay in the parsed message.
constexpr size_t kBorrowedInitializerBytes = 16 * 1024;

Result<ir::Model> LoadModel(const char* data, size_t size, const std::string& base_dir, const LoadOptions& options,
                            const InitializerPayloads* payloads) {
  onnx::ModelProto proto;
  KILN_RETURN_IF_ERROR(ParseModel(data, size, &proto));
  KILN_RETURN_IF_ERROR(CheckOpsets(proto));
  if (options.run_checker) KILN_RETURN_IF_ERROR(RunChecker(proto, base_dir));
  if (options.infer_shapes) InferShapes(proto);
  KILN_ASSIGN_OR_RETURN(ir::Model model, ImportModel(proto, base_dir, payloads));
  KILN_RETURN_IF_ERROR(ir::VerifyGraph(model.graph));
  return model;
}

}  // namespace

Result<ir::Model> LoadModelBytes(const std::string& bytes, const std::string& base_dir, const LoadOptions& options) {
  return LoadModelBytes(bytes.data(), bytes.size(), base_dir, options);
}

Result<ir::Model> LoadModelBytes(const char* data, size_t size, const std::string& base_dir,
                                 const LoadOptions& options) {
  return LoadModel(data, size, base_dir, options, nullptr);
}

Result<ir::Model> LoadModelFile(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("model file '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) return Status::InvalidArgument("'" + path + "' is a folder, not a model file");
  auto opened = io::MappedFile::Open(path);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<io::MappedFile> file = std::move(opened).value();
  const std::string base_dir = fs::path(path).parent_path().string();
  // Large weights stay in the mapping: the tensors borrow it, and the
  // mapping lives as long as any of them.
  Result<ir::Model> model = Status::Internal("not loaded");
  if (auto stripped = StripInitializerPayloads(file->data(), file->size(), kBorrowedInitializerBytes)) {
    stripped->payloads.base = file->data();
    stripped->payloads.owner = file;
    model = LoadModel(stripped->skeleton.data(), stripped->skeleton.size(), base_dir, options, &stripped->payloads);
  } else {
    model = LoadModel(file->data(), file->size(), base_dir, options, nullptr);
  }
  if (!model.ok()) return model.status().WithContext("'" + path + "'");
  return model;
}

}  // namespace kiln::onnx_import
