// kiln: the command-line front end of the engine (and, later, the server).
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "tools/kiln/commands.h"
#include "server/core/lock_order_checks.h"
#include "tools/kiln/openmp_wait_policy.h"

namespace kiln::tools {

int ReportError(const Status& status) {
  std::cerr << "kiln: " << status.message() << "\n";
  switch (status.code()) {
    case StatusCode::kUnimplemented: return kExitUnsupported;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange: return kExitBadInput;
    default: return kExitError;
  }
}

}  // namespace kiln::tools

int main(int argc, char** argv) {
  using namespace kiln::tools;
  ApplyOpenMpWaitPolicy(argv);  // may re-execute kiln; see openmp_wait_policy.h
  kiln::server::DisableLockOrderChecks();
  CLI::App app{"Kiln: run and serve ONNX models on CPU"};
  app.set_version_flag("--version", std::string("kiln ") + KILN_VERSION);
  app.require_subcommand(1);

  std::map<CLI::App*, CommandRunner> runners;
  auto add = [&](CommandRunner r) { runners[app.get_subcommands({}).back()] = std::move(r); };
  add(RegisterRunCommand(app));
  add(RegisterInspectCommand(app));
  add(RegisterBenchCommand(app));
  add(RegisterQuantizeCommand(app));
  add(RegisterServeCommand(app));
  add(RegisterPerfCommand(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kiln: " << e.what() << "\n(run 'kiln --help' or 'kiln <command> --help' for usage)\n";
    return kExitBadInput;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const std::exception& e) {
        std::cerr << "kiln: internal error: " << e.what() << "\n";
        return kExitError;
      }
    }
  }
  return kExitBadInput;
}
