#include "tests/support/child_process.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

namespace kiln::testing {

std::string ChildOutcome::Describe(const ChildLimits& limits) const {
  switch (kind) {
    case Kind::kFinished:
      return report;
    case Kind::kCrashed:
      return "crashed with signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    case Kind::kTimedOut:
      return "timed out after " + std::to_string(limits.timeout_s) + " s";
    case Kind::kNoReport:
      break;
  }
  return "child exited without a verdict";
}

ChildOutcome RunInChild(const std::function<std::string()>& body, const ChildLimits& limits) {
  ChildOutcome outcome;
  int fds[2];
  if (pipe(fds) != 0) {
    outcome.report = "pipe failed";
    return outcome;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    outcome.report = "fork failed";
    return outcome;
  }
  if (pid == 0) {
    close(fds[0]);
    if (limits.address_space_bytes > 0) {
      rlimit rl{limits.address_space_bytes, limits.address_space_bytes};
      setrlimit(RLIMIT_AS, &rl);
    }
    alarm(static_cast<unsigned>(limits.timeout_s));
    std::string report = body();
    const char* p = report.data();
    size_t left = report.size();
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) outcome.report.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.kind = outcome.signal == SIGALRM ? ChildOutcome::Kind::kTimedOut : ChildOutcome::Kind::kCrashed;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.kind = ChildOutcome::Kind::kFinished;
  }
  return outcome;
}

}  // namespace kiln::testing
