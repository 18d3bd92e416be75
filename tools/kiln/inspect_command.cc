// `kiln inspect MODEL`: what a model contains and whether Kiln can run it —
// opsets, inputs and outputs, an operator histogram, parameter count and
// bytes, and the operators Kiln does not support.
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "engine/kernels/cpu/registry.h"
#include "engine/onnx/model_loader.h"
#include "engine/passes/pass_manager.h"
#include "engine/runtime/session.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {
namespace {

struct InspectArgs {
  std::string model;
  bool optimized = false;
  passes::PassOptions passes;
};

void CountOps(const ir::Graph& g, const ir::Model& m, std::map<std::string, int>& histogram,
              std::set<std::string>& unsupported) {
  for (const auto& n : g.nodes) {
    std::string key = (n.domain.empty() ? "" : n.domain + "::") + n.op_type;
    ++histogram[key];
    if (!KernelRegistry::Cpu().Find(n.domain, n.op_type, m.OpsetOf(n.domain))) {
      unsupported.insert(key + " (opset " + std::to_string(m.OpsetOf(n.domain)) + ")");
    }
    for (const auto& kv : n.attributes) {
      if (kv.second.g) CountOps(*kv.second.g, m, histogram, unsupported);
      for (const auto& sg : kv.second.graphs) CountOps(*sg, m, histogram, unsupported);
    }
  }
}

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) { bytes /= 1024; ++u; }
  std::ostringstream os;
  os << std::fixed << std::setprecision(u ? 1 : 0) << bytes << " " << units[u];
  return os.str();
}

// Zero-filled inputs of the model's static shapes, with every dynamic
// dimension set to 1. Sets *dynamic when some dimension was not fixed.
Result<std::map<std::string, Value>> PlanningInputs(const Session& session, bool* dynamic) {
  std::map<std::string, Value> feeds;
  for (const ir::ValueInfo* vi : session.model().graph.RuntimeInputs()) {
    if (vi->type.kind != ir::TypeInfo::Kind::kTensor || vi->type.elem_type == DataType::kUndefined) {
      return Status::Unimplemented("input '" + vi->name + "' is not a tensor of a known type");
    }
    Shape shape;
    if (!vi->type.shape) {
      *dynamic = true;
    } else {
      for (const auto& d : *vi->type.shape) {
        shape.push_back(d.is_fixed() ? d.value : 1);
        *dynamic = *dynamic || !d.is_fixed();
      }
    }
    feeds[vi->name] = Tensor::Allocate(vi->type.elem_type, shape, /*zeroed=*/true);
  }
  return feeds;
}

// "planned memory: ..." for the model's static shapes (or batch 1), or why not.
std::string PlannedMemoryLine(const InspectArgs& args) {
  SessionOptions options;
  options.optimize = args.passes;
  options.threads = 1;
  auto session = Session::Create(args.model, options);
  if (!session.ok()) return "not planned (" + session.status().message() + ")";
  bool dynamic = false;
  auto feeds = PlanningInputs(**session, &dynamic);
  if (!feeds.ok()) return "not planned (" + feeds.status().message() + ")";
  auto stats = (*session)->PlanMemory(*feeds);
  if (!stats.ok()) return "not planned (a run with zero-filled inputs failed: " + stats.status().message() + ")";
  std::ostringstream os;
  os << HumanBytes(static_cast<double>(stats->arena_bytes)) << " peak for intermediate tensors ("
     << HumanBytes(static_cast<double>(stats->unshared_bytes)) << " without sharing; " << stats->planned_tensors
     << " tensors, " << stats->in_place_tensors << " in place; graph outputs "
     << HumanBytes(static_cast<double>(stats->fresh_bytes)) << " allocated separately)\n            "
     << (dynamic ? "for batch 1: the model has dynamic dimensions, each set to 1"
                 : "for the model's static input shapes");
  return os.str();
}

int Inspect(const InspectArgs& args) {
  // Load without the checker so that a model with unknown operators can
  // still be described; the checker's verdict is printed at the end.
  onnx_import::LoadOptions unchecked;
  unchecked.run_checker = false;
  auto model = onnx_import::LoadModelFile(args.model, unchecked);
  if (!model.ok()) return ReportError(model.status());
  const size_t imported_nodes = model->graph.nodes.size();
  passes::PassReport report;
  if (args.optimized) {
    auto optimized = passes::OptimizeModel(*model, args.passes);
    if (!optimized.ok()) return ReportError(optimized.status());
    report = std::move(optimized).value();
  }
  const ir::Model& m = *model;
  const ir::Graph& g = m.graph;

  std::cout << "model:     " << args.model << "\n";
  std::cout << "producer:  " << (m.producer_name.empty() ? "-" : m.producer_name + " " + m.producer_version)
            << "\nir:        " << m.ir_version << "\nopsets:   ";
  for (const auto& [domain, version] : m.opset_imports) std::cout << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
  std::cout << "\n\ninputs:\n";
  for (const auto* vi : g.RuntimeInputs()) std::cout << "  " << vi->name << ": " << vi->type.ToString() << "\n";
  std::cout << "outputs:\n";
  for (const auto& vi : g.outputs) std::cout << "  " << vi.name << ": " << vi.type.ToString() << "\n";

  int64_t params = 0;
  size_t bytes = 0;
  for (const auto& [name, t] : g.initializers) {
    params += t.num_elements();
    bytes += t.byte_size();
  }
  std::cout << "\nparameters: " << params << " in " << g.initializers.size() << " initializers, " << HumanBytes(static_cast<double>(bytes))
            << "\n";

  std::map<std::string, int> histogram;
  std::set<std::string> unsupported;
  CountOps(g, m, histogram, unsupported);
  int total = 0;
  for (const auto& kv : histogram) total += kv.second;
  std::cout << "\noperators (" << total << " nodes):\n";
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& kv : histogram) sorted.emplace_back(-kv.second, kv.first);
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [neg, op] : sorted) std::cout << "  " << std::setw(6) << -neg << "  " << op << "\n";
  if (args.optimized) {
    std::string changed;
    for (const auto& name : report.changed) changed += (changed.empty() ? "" : ", ") + name;
    std::cout << "\noptimized:  " << imported_nodes << " -> " << g.nodes.size() << " nodes in the main graph\n"
              << "passes that changed the graph: " << (changed.empty() ? "none" : changed) << "\n";
  }
  Status checked = onnx_import::LoadModelFile(args.model).status();
  std::cout << "\nonnx checker: " << (checked.ok() ? std::string("ok") : checked.message()) << "\n";
  if (unsupported.empty()) {
    std::cout << "\nsupported: yes, Kiln implements every operator in this model\n";
    if (checked.ok()) std::cout << "\nplanned memory: " << PlannedMemoryLine(args) << "\n";
  } else {
    std::cout << "\nunsupported operators:\n";
    for (const auto& u : unsupported) std::cout << "  " << u << "\n";
  }
  return kExitOk;
}

}  // namespace

CommandRunner RegisterInspectCommand(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model: opsets, inputs, outputs, operators, parameters");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_flag("--optimized", args->optimized,
                "Describe the graph after Kiln's graph passes and list the passes that changed it");
  AddPassFlags(*cmd, args->passes);
  return [args] { return Inspect(*args); };
}

}  // namespace kiln::tools
