// Runs the kiln binary as a child process for end-to-end CLI tests and
// captures its exit status, stdout and stderr (through files in a scratch
// folder, so large outputs never block on a pipe).
#pragma once

#include <filesystem>
#include <string>

namespace kiln::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
  std::string FirstErrorLine() const { return err.substr(0, err.find('\n')); }
};

// The whole file, or "" when it cannot be read.
std::string Slurp(const std::filesystem::path& path);

// Runs `binary args` through the shell; stdout/stderr go to `scratch_dir`.
CommandResult RunCommand(const std::string& binary, const std::string& args,
                         const std::filesystem::path& scratch_dir);

}  // namespace kiln::testing
