#include "engine/quantization/quantizer.h"

#include <filesystem>
#include <fstream>

#include "engine/onnx/model_loader.h"
#include "engine/quantization/dynamic_quantizer.h"
#include "engine/quantization/range_calibrator.h"
#include "engine/quantization/static_quantizer.h"
#include "engine/runtime/session.h"
#include "onnx/onnx_pb.h"

namespace kiln::quantization {
namespace {

namespace fs = std::filesystem;

constexpr int kDefaultReportSets = 8;

Result<onnx::ModelProto> ReadModelProto(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open model file '" + path + "'");
  onnx::ModelProto proto;
  if (!proto.ParseFromIstream(&in)) return Status::InvalidArgument("'" + path + "' is not a valid ONNX model");
  return proto;
}

Status WriteModelProto(const onnx::ModelProto& proto, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::InvalidArgument("cannot write '" + path + "'");
  if (!proto.SerializeToOstream(&out)) return Status::Internal("cannot serialize the quantized model");
  out.close();
  if (!out) return Status::InvalidArgument("writing '" + path + "' failed");
  return Status::Ok();
}

Result<std::unique_ptr<Session>> SessionFor(const onnx::ModelProto& proto, const std::string& base_dir, int threads) {
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) return Status::Internal("cannot serialize a model");
  KILN_ASSIGN_OR_RETURN(ir::Model model, onnx_import::LoadModelBytes(bytes, base_dir));
  SessionOptions options;
  options.threads = threads;
  return Session::Create(std::move(model), options);
}

}  // namespace

Result<QuantizeSummary> QuantizeModelFile(const QuantizeRequest& request, const StageProgress& progress) {
  const QuantizeOptions& options = request.options;
  if (request.output_path.empty()) return Status::InvalidArgument("an output path (--out) is required");
  if (options.activation_type != DataType::kUInt8 && options.activation_type != DataType::kInt8) {
    return Status::InvalidArgument("activations are quantized to uint8 or int8");
  }
  if (!options.dynamic && request.calibration_dir.empty() && request.calibration_random <= 0) {
    return Status::InvalidArgument("static quantization needs calibration data: --calibration DIR or --calibration-random N");
  }
  // Load through the engine first: precise errors for bad models, and the
  // reference session for calibration sets and the report.
  KILN_ASSIGN_OR_RETURN(ir::Model float_ir, onnx_import::LoadModelFile(request.model_path));
  KILN_ASSIGN_OR_RETURN(onnx::ModelProto proto, ReadModelProto(request.model_path));
  const std::string base_dir = fs::path(request.model_path).parent_path().string();

  std::vector<InputSet> calibration;
  std::string calibration_source;
  if (!request.calibration_dir.empty()) {
    KILN_ASSIGN_OR_RETURN(calibration, LoadInputSets(request.calibration_dir, float_ir));
    calibration_source = "calibration set";
  } else if (request.calibration_random > 0) {
    KILN_ASSIGN_OR_RETURN(calibration, RandomInputSets(float_ir, request.calibration_random));
    calibration_source = "random inputs";
  }

  QuantizeSummary summary;
  summary.calibration_sets = static_cast<int>(calibration.size());
  onnx::ModelProto quantized = proto;
  if (options.dynamic) {
    KILN_RETURN_IF_ERROR(RewriteDynamic(&quantized, base_dir, options, &summary.quantized_nodes));
  } else {
    KILN_ASSIGN_OR_RETURN(StaticPlan plan, PlanStaticQuantization(proto, base_dir, options));
    auto calibrating = [&](int done, int total) {
      if (progress) progress("calibrating", done, total);
    };
    KILN_ASSIGN_OR_RETURN(auto ranges, CalibrateRanges(proto, base_dir, plan.activations, calibration, options,
                                                       request.threads, calibrating));
    KILN_RETURN_IF_ERROR(RewriteToQdq(&quantized, base_dir, plan, ranges, options));
    summary.quantized_activations = static_cast<int>(plan.activations.size());
  }
  KILN_RETURN_IF_ERROR(WriteModelProto(quantized, request.output_path));

  // The report: --eval, else the calibration sets, else random inputs.
  std::vector<InputSet> eval;
  if (!request.eval_dir.empty()) {
    KILN_ASSIGN_OR_RETURN(eval, LoadInputSets(request.eval_dir, float_ir));
    summary.accuracy_source = "evaluation set";
  } else if (!calibration.empty()) {
    eval = std::move(calibration);
    summary.accuracy_source = calibration_source;
  } else {
    KILN_ASSIGN_OR_RETURN(eval, RandomInputSets(float_ir, kDefaultReportSets));
    summary.accuracy_source = "random inputs";
  }
  SessionOptions float_options;
  float_options.threads = request.threads;
  KILN_ASSIGN_OR_RETURN(auto reference, Session::Create(std::move(float_ir), float_options));
  auto candidate = SessionFor(quantized, base_dir, request.threads);
  if (!candidate.ok()) return candidate.status().WithContext("the quantized model does not load");
  auto evaluating = [&](int done, int total) {
    if (progress) progress("evaluating", done, total);
  };
  KILN_ASSIGN_OR_RETURN(summary.accuracy, CompareSessions(*reference, **candidate, eval, evaluating));
  return summary;
}

}  // namespace kiln::quantization
