// --no-opt and --disable-pass NAME, shared by `kiln run`, `bench` and `inspect`.
#include <CLI/CLI.hpp>

#include "engine/passes/pass_manager.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {

void AddPassFlags(CLI::App& cmd, passes::PassOptions& options) {
  cmd.add_flag_callback("--no-opt", [&options] { options.enabled = false; }, "Run the model as imported, without graph passes");
  cmd.add_option("--disable-pass", options.disabled, "Skip one graph pass, repeatable")
      ->check(CLI::IsMember(passes::PassManager::PassNames()));
}

}  // namespace kiln::tools
