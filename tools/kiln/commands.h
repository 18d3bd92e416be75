// The `kiln` subcommands. Each Register* adds its subcommand to the CLI11
// app and returns a callable that runs it (after parsing) and yields the
// process exit status.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>

#include "engine/core/status.h"

namespace CLI {
class App;
}

namespace kiln::passes {
struct PassOptions;
}

namespace kiln {
class Session;
class Value;
struct SessionOptions;
enum class Precision;
}

namespace kiln::tools {

// Exit statuses documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // anything else
  kExitBadInput = 2,     // bad usage, bad model or input files
  kExitUnsupported = 3,  // the model needs an operator, dtype or feature Kiln lacks
};

// Prints "kiln: <message>" (first line: the one-line reason) and maps the
// status code to an exit status.
int ReportError(const Status& status);

// Adds the graph-optimization flags --no-opt and --disable-pass NAME
// (repeatable) to `cmd`; they fill `options`, which must outlive parsing.
void AddPassFlags(CLI::App& cmd, passes::PassOptions& options);

// Adds --precision fp32|bf16 to `cmd` (fills `precision`, default "fp32").
void AddPrecisionFlag(CLI::App& cmd, std::string& precision);
Precision ToPrecision(const std::string& precision);
// Runs `model` in float32 (otherwise with `options`) on `feeds` and prints
// how far `reduced`'s outputs are from it.
Status PrintPrecisionReport(const std::string& model, SessionOptions options, const Session& reduced,
                            const std::map<std::string, Value>& feeds, std::ostream& out);

using CommandRunner = std::function<int()>;

CommandRunner RegisterRunCommand(CLI::App& app);
CommandRunner RegisterInspectCommand(CLI::App& app);
CommandRunner RegisterBenchCommand(CLI::App& app);
CommandRunner RegisterQuantizeCommand(CLI::App& app);
CommandRunner RegisterServeCommand(CLI::App& app);
CommandRunner RegisterPerfCommand(CLI::App& app);

}  // namespace kiln::tools
