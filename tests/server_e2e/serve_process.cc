#include "tests/server_e2e/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "server/http/testing/test_http_client.h"

namespace kiln::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

uint16_t FindPort(const std::string& log, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(log, match, std::regex(pattern + " on port ([0-9]+)"))) return 0;
  return static_cast<uint16_t>(std::stoi(match[1].str()));
}

}  // namespace

ServeProcess::ServeProcess(std::vector<std::string> args) {
  static std::atomic<int> counter{0};
  dir_ = (std::filesystem::temp_directory_path() /
          ("kiln_serve_" + std::to_string(getpid()) + "_" + std::to_string(counter++)))
             .string();
  std::filesystem::create_directories(dir_);
  for (const char* flag : {"--http-port", "--grpc-port", "--metrics-port"}) {
    args.push_back(flag);
    args.push_back("0");
  }
  std::vector<std::string> argv_strings = {KILN_BINARY, "serve"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  const std::string log_path = dir_ + "/stderr.log";
  const std::string out_path = dir_ + "/stdout.log";

  pid_ = fork();
  if (pid_ == 0) {
    const int err = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, 2);
    dup2(out, 1);
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ServeProcess::Log() const { return ReadFile(dir_ + "/stderr.log"); }

void ServeProcess::SendSignal(int signal_number) const {
  if (pid_ > 0 && !exited_) kill(pid_, signal_number);
}

bool ServeProcess::WaitForPorts(std::chrono::seconds limit, std::string* error) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = Log();
    http_port_ = FindPort(log, "HTTP/REST service listening");
    grpc_port_ = FindPort(log, "gRPC service listening");
    metrics_port_ = FindPort(log, "metrics served");
    if (http_port_ != 0 && grpc_port_ != 0 && metrics_port_ != 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      *error = "kiln serve exited early; log:\n" + Log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "kiln serve did not report its ports; log:\n" + Log();
  return false;
}

bool ServeProcess::WaitForReady(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      server::http_testing::TestHttpClient client(http_port_);
      if (client.Request("GET", "/v2/health/ready").status == 200) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::optional<int> ServeProcess::WaitForExit(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

}  // namespace kiln::testing
