// `kiln quantize MODEL --out OUT.onnx`: post-training quantization to a
// standard QDQ model (static, calibrated) or to dynamic MatMulInteger form,
// then an accuracy report against the float model. The work is done by
// engine/quantization/quantizer.h; this file parses flags and prints.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "engine/quantization/quantizer.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {
namespace {

struct QuantizeArgs {
  quantization::QuantizeRequest request;
  std::string method = "minmax";
  std::string activation_type = "uint8";
};

int Quantize(QuantizeArgs& args) {
  auto& request = args.request;
  if (!quantization::ParseRangeMethod(args.method, &request.options.method)) {
    return ReportError(Status::InvalidArgument("--method must be minmax, percentile or entropy, got '" + args.method + "'"));
  }
  request.options.activation_type = args.activation_type == "int8" ? DataType::kInt8 : DataType::kUInt8;
  if (!request.calibration_dir.empty() && request.calibration_random > 0) {
    return ReportError(Status::InvalidArgument("give either --calibration DIR or --calibration-random N, not both"));
  }
  // Progress only for a person watching: stdout and stderr on a terminal.
  const bool progress = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
  auto show = [&](const std::string& stage, int done, int total) {
    if (!progress) return;
    std::cerr << "\r\033[K" << stage << " " << done << "/" << total << std::flush;
  };
  auto summary = quantization::QuantizeModelFile(request, show);
  if (progress) std::cerr << "\r\033[K" << std::flush;
  if (!summary.ok()) return ReportError(summary.status());
  std::cout << "wrote " << request.output_path << " (";
  if (request.options.dynamic) {
    std::cout << "dynamic: " << summary->quantized_nodes << " MatMul/Gemm node"
              << (summary->quantized_nodes == 1 ? "" : "s") << " quantized";
  } else {
    std::cout << "static QDQ, " << quantization::RangeMethodName(request.options.method) << ", "
              << (request.options.per_channel ? "per-channel" : "per-tensor") << " weights, "
              << summary->quantized_activations << " activations quantized from " << summary->calibration_sets
              << " calibration set" << (summary->calibration_sets == 1 ? "" : "s");
  }
  std::cout << ")\n" << "report on the " << summary->accuracy_source << "; "
            << quantization::FormatAccuracyReport(summary->accuracy);
  return kExitOk;
}

}  // namespace

CommandRunner RegisterQuantizeCommand(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  auto& req = args->request;
  CLI::App* cmd = app.add_subcommand("quantize", "Quantize a float model to int8 (QDQ) and report its accuracy");
  cmd->add_option("model", req.model_path, "Float ONNX model file")->required();
  cmd->add_option("--out,-o", req.output_path, "Where to write the quantized ONNX model")->required();
  auto* calib = cmd->add_option("--calibration", req.calibration_dir,
                                "Folder of input sets: subfolders laid out like `kiln run --inputs` (or one such set)");
  auto* random = cmd->add_option("--calibration-random", req.calibration_random,
                                 "Calibrate on N sets of random inputs in [-1, 1) instead")
                     ->check(CLI::Range(1, 1000000));
  calib->excludes(random);
  cmd->add_option("--method", args->method, "Activation range: minmax, percentile (99.99%) or entropy (KL divergence)")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy"}))
      ->capture_default_str();
  cmd->add_option("--percentile", req.options.percentile, "Percentile for --method percentile")
      ->check(CLI::Range(50.0, 100.0))
      ->capture_default_str();
  cmd->add_flag("--per-channel", req.options.per_channel,
                "One weight scale per output channel (Conv/Gemm/MatMul; needs opset >= 13)");
  cmd->add_option("--activation-type", args->activation_type, "Activation integer type")
      ->check(CLI::IsMember({"uint8", "int8"}))
      ->capture_default_str();
  cmd->add_option("--exclude", req.options.exclude, "Operator type or node name to keep in float (repeatable)");
  cmd->add_flag("--dynamic", req.options.dynamic,
                "Quantize MatMul/Gemm weights only; activations are quantized at run time (no calibration needed)");
  cmd->add_option("--eval", req.eval_dir, "Input sets for the accuracy report (default: the calibration sets)");
  cmd->add_option("--threads", req.threads, "Threads per inference (0: every core available to the process)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->footer(
      "Writes a standard QDQ model (QuantizeLinear/DequantizeLinear around float operators: int8 symmetric weights,\n"
      "uint8/int8 activations) that Kiln and ONNX Runtime run. The report compares it with the float model: max and\n"
      "mean absolute error, cosine similarity and top-1 agreement per output.\n"
      "Exit status: 0 ok, 2 bad usage, model or input files, 3 unsupported operator/dtype/feature, 1 other errors.");
  return [args] { return Quantize(*args); };
}

}  // namespace kiln::tools
