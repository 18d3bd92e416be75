// ServeProcess: the shipped `kiln serve` binary as a child process for
// end-to-end tests. Starts it with ephemeral ports (--http-port 0 ...),
// learns the bound ports from its log, and stops it with SIGTERM (or
// SIGKILL on destruction if it is still running). The log (stderr) and
// stdout go to files in a temporary folder so tests can read them.
// Test-only; not thread-safe (one controlling thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kiln::testing {

class ServeProcess {
 public:
  // `args` follow `kiln serve`; the port flags are appended here.
  explicit ServeProcess(std::vector<std::string> args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Waits until all three ports are in the log; false (with the log in
  // `error`) if the process died or the wait ran out.
  bool WaitForPorts(std::chrono::seconds limit, std::string* error);
  // Polls GET /v2/health/ready until 200.
  bool WaitForReady(std::chrono::seconds limit);

  uint16_t http_port() const { return http_port_; }
  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }

  std::string Log() const;  // everything written to stderr so far
  void SendSignal(int signal_number) const;
  // Waits for the exit; the exit status, or nullopt if it did not exit
  // normally (killed by a signal) or took longer than `limit`.
  std::optional<int> WaitForExit(std::chrono::seconds limit);

 private:
  std::string dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
  uint16_t http_port_ = 0;
  uint16_t grpc_port_ = 0;
  uint16_t metrics_port_ = 0;
};

}  // namespace kiln::testing
