// Runs a piece of test code in a forked child process, so that a crash, a
// hang or runaway memory use in the code under test becomes a verdict for
// that case instead of ending the test program.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace kiln::testing {

struct ChildLimits {
  int timeout_s = 120;           // SIGALRM after this many seconds
  size_t address_space_bytes = 0;  // RLIMIT_AS in the child; 0 leaves it unlimited
};

struct ChildOutcome {
  enum class Kind { kFinished, kCrashed, kTimedOut, kNoReport };
  Kind kind = Kind::kNoReport;
  int signal = 0;      // the signal that ended the child (kCrashed)
  std::string report;  // what the body returned (kFinished)

  bool finished() const { return kind == Kind::kFinished; }
  // "crashed with signal 11 (Segmentation fault)", "timed out after 10 s", ...
  // For a finished child: its report.
  std::string Describe(const ChildLimits& limits) const;
};

// Forks; the child applies `limits`, runs `body` and sends its return value
// back through a pipe. Waits for the child and says how it ended.
ChildOutcome RunInChild(const std::function<std::string()>& body, const ChildLimits& limits);

}  // namespace kiln::testing
