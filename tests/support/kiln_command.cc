#include "tests/support/kiln_command.h"

#include <sys/wait.h>

#include <cstdlib>

#include "engine/io/file_bytes.h"

namespace kiln::testing {

std::string Slurp(const std::filesystem::path& path) {
  auto bytes = io::ReadFileBytes(path.string());
  return bytes.ok() ? *bytes : std::string();
}

CommandResult RunCommand(const std::string& binary, const std::string& args,
                         const std::filesystem::path& scratch_dir) {
  const std::string cmd = binary + " " + args + " >" + (scratch_dir / "stdout").string() + " 2>" +
                          (scratch_dir / "stderr").string();
  const int status = std::system(cmd.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = Slurp(scratch_dir / "stdout");
  result.err = Slurp(scratch_dir / "stderr");
  return result;
}

}  // namespace kiln::testing
