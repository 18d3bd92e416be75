// `kiln run MODEL --inputs IN_DIR --outputs OUT_DIR` (or --input NAME=FILE
// with --output-dir DIR): runs a model once on inputs read from .npy files
// and writes every graph output the same way.
#include <CLI/CLI.hpp>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "engine/io/value_files.h"
#include "engine/runtime/session.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string model;
  SessionOptions session;
  std::string inputs_dir;
  std::string outputs_dir;
  std::vector<std::string> input_files;  // NAME=FILE
  int threads = 0;                        // 0: every available core
  std::string precision = "fp32";
};

// bfloat16 inputs may be given as uint16 bit patterns (NumPy has no bfloat16).
Value AdaptFeed(const ir::ValueInfo& info, Value value) {
  if (value.is_tensor() && info.type.kind == ir::TypeInfo::Kind::kTensor &&
      info.type.elem_type == DataType::kBFloat16 && value.tensor().dtype() == DataType::kUInt16) {
    const Tensor& t = value.tensor();
    Tensor bf = Tensor::Allocate(DataType::kBFloat16, t.shape());
    std::memcpy(bf.raw_data(), t.raw_data(), t.byte_size());
    return Value(bf);
  }
  return value;
}

int Run(const RunArgs& args) {
  if (args.inputs_dir.empty() == args.input_files.empty() && !(args.inputs_dir.empty() && args.input_files.empty())) {
    return ReportError(Status::InvalidArgument("give either --inputs DIR or --input NAME=FILE, not both"));
  }
  std::string out_dir = args.outputs_dir;
  if (out_dir.empty()) return ReportError(Status::InvalidArgument("--outputs DIR (or --output-dir DIR) is required"));

  SessionOptions options = args.session;
  options.threads = args.threads;
  options.precision = ToPrecision(args.precision);
  auto session = Session::Create(args.model, options);
  if (!session.ok()) return ReportError(session.status());
  const Session& s = **session;

  std::map<std::string, Value> feeds;
  std::map<std::string, const ir::ValueInfo*> by_name;
  for (const auto* vi : s.inputs()) by_name[vi->name] = vi;

  for (const std::string& spec : args.input_files) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ReportError(Status::InvalidArgument("--input expects NAME=FILE.npy, got '" + spec + "'"));
    }
    std::string name = spec.substr(0, eq);
    if (!by_name.count(name)) {
      std::string list;
      for (const auto& kv : by_name) list += (list.empty() ? "" : ", ") + kv.first;
      return ReportError(Status::InvalidArgument("the model has no input named '" + name + "' (its inputs: " + list + ")"));
    }
    auto v = io::ReadValueFromPath(spec.substr(eq + 1));
    if (!v.ok()) return ReportError(Status::InvalidArgument(v.status().message()));
    feeds[name] = AdaptFeed(*by_name[name], std::move(v).value());
  }
  if (!args.inputs_dir.empty()) {
    if (!fs::is_directory(args.inputs_dir)) {
      return ReportError(Status::InvalidArgument("--inputs '" + args.inputs_dir + "' is not a folder"));
    }
    const ir::Graph& g = s.model().graph;
    for (const auto* vi : s.inputs()) {
      auto v = io::ReadValueFromDir(args.inputs_dir, vi->name);
      if (!v.ok()) {
        bool optional = g.initializers.count(vi->name) || vi->type.kind == ir::TypeInfo::Kind::kOptional;
        if (v.status().code() == StatusCode::kNotFound && optional) continue;
        return ReportError(Status::InvalidArgument(v.status().message()));
      }
      feeds[vi->name] = AdaptFeed(*vi, std::move(v).value());
    }
    // Files that match no input are a mistake worth reporting.
    for (const auto& entry : fs::directory_iterator(args.inputs_dir)) {
      std::string stem = entry.path().stem().string();
      bool known = false;
      for (const auto* vi : s.inputs()) known = known || io::FileSafeName(vi->name) == stem;
      if (!known) {
        return ReportError(Status::InvalidArgument("'" + entry.path().string() +
                                                   "' matches no model input (inputs are named after the graph's inputs)"));
      }
    }
  }

  auto outputs = s.Run(feeds);
  if (!outputs.ok()) return ReportError(outputs.status());

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return ReportError(Status::InvalidArgument("cannot create output folder '" + out_dir + "': " + ec.message()));
  for (size_t i = 0; i < outputs->size(); ++i) {
    const std::string& name = s.outputs()[i].name;
    Status st = io::WriteValueToDir(out_dir, name, (*outputs)[i]);
    if (!st.ok()) return ReportError(st);
    std::cout << name << ": " << (*outputs)[i].Describe() << "\n";
  }
  if (options.precision != Precision::kFloat32) {
    Status report = PrintPrecisionReport(args.model, options, s, feeds, std::cout);
    if (!report.ok()) return ReportError(report);
  }
  return kExitOk;
}

}  // namespace

CommandRunner RegisterRunCommand(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model once on inputs from .npy files");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  AddPassFlags(*cmd, args->session.optimize);
  cmd->add_option("--inputs", args->inputs_dir, "Folder with one <input name>.npy per graph input");
  cmd->add_option("--outputs,--output-dir", args->outputs_dir, "Folder to write <output name>.npy files into");
  cmd->add_option("--input", args->input_files, "NAME=FILE.npy, repeatable (instead of --inputs)");
  cmd->add_option("--threads", args->threads, "Threads used inside operators (0: every core available to the process)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  AddPrecisionFlag(*cmd, args->precision);
  cmd->footer(
      "Sequences are folders <name>.seq/ of 0.npy, 1.npy, ...; an absent optional is an empty <name>.none.\n"
      "Exit status: 0 ok, 2 bad usage or input files, 3 unsupported operator/dtype/feature, 1 other errors.");
  return [args] { return Run(*args); };
}

}  // namespace kiln::tools
