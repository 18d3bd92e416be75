// `kiln serve --model-repository DIR`: runs the model server (KServe v2 over
// HTTP and gRPC, Prometheus metrics) until SIGINT or SIGTERM, then stops
// accepting, finishes the requests in flight (bounded by
// --exit-timeout-secs) and exits 0.
//
// Signals: SIGINT/SIGTERM are blocked in every thread before any is
// started and taken synchronously with sigwait on the main thread, so no
// work happens in a signal handler.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "server/core/logging.h"
#include "server/core/model_server.h"
#include "server/core/repository_poller.h"
#include "server/grpc/grpc_server.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics_server.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {
namespace {

struct ServeArgs {
  std::vector<std::string> repositories;
  std::string control_mode = "none";
  int poll_secs = 15;
  std::vector<std::string> load_models;
  int http_port = 8000;
  size_t http_max_body_bytes = size_t{64} << 20;
  int grpc_port = 8001;
  int metrics_port = 8002;
  int log_verbose = 0;
  std::string log_format = "text";
  int threads = 0;
  int exit_timeout_secs = 30;
  std::string batch_size_warmup = "on";
};

// The protocol front-ends: HTTP/REST (--http-port), gRPC (--grpc-port) and
// Prometheus metrics (--metrics-port).
class Frontends {
 public:
  Status Start(const ServeArgs& args, server::InferenceService& service) {
    server::HttpServerOptions http_options;
    http_options.port = static_cast<uint16_t>(args.http_port);
    http_options.max_body_bytes = args.http_max_body_bytes;
    http_options.drain_timeout = std::chrono::seconds(args.exit_timeout_secs);
    KILN_ASSIGN_OR_RETURN(http_, server::HttpServer::Create(http_options, service));
    KILN_RETURN_IF_ERROR(http_->Start().WithContext("--http-port " + std::to_string(args.http_port)));
    spdlog::info("HTTP/REST service listening on port {}", http_->port());

    server::GrpcServerOptions grpc_options;
    grpc_options.port = args.grpc_port;
    auto grpc = server::GrpcServer::Create(grpc_options, service);
    if (!grpc.ok()) return grpc.status().WithContext("--grpc-port " + std::to_string(args.grpc_port));
    grpc_ = std::move(*grpc);
    spdlog::info("gRPC service listening on port {}", grpc_->port());

    server::MetricsServerOptions metrics_options;
    metrics_options.port = static_cast<uint16_t>(args.metrics_port);
    KILN_ASSIGN_OR_RETURN(metrics_, server::MetricsServer::Create(metrics_options, service));
    KILN_RETURN_IF_ERROR(metrics_->Start().WithContext("--metrics-port " + std::to_string(args.metrics_port)));
    spdlog::info("metrics served on port {} at /metrics", metrics_->port());
    return Status::Ok();
  }
  // Stops accepting and finishes the calls in flight (bounded by `grace`).
  void Stop(std::chrono::milliseconds grace) {
    auto grpc_stopped = std::async(std::launch::async, [&] {
      if (grpc_) grpc_->Stop(grace);
    });
    if (http_) http_->Stop();
    grpc_stopped.get();
    if (metrics_) metrics_->Stop();  // last: metrics stay visible while draining
  }

 private:
  std::unique_ptr<server::HttpServer> http_;
  std::unique_ptr<server::GrpcServer> grpc_;
  std::unique_ptr<server::MetricsServer> metrics_;
};

int Serve(const ServeArgs& args) {
  auto format = server::ParseLogFormat(args.log_format);
  if (!format.ok()) return ReportError(format.status());
  auto mode = server::ParseModelControlMode(args.control_mode);
  if (!mode.ok()) return ReportError(mode.status());
  if (!args.load_models.empty() && *mode != server::ModelControlMode::kExplicit) {
    return ReportError(Status::InvalidArgument("--load-model needs --model-control-mode explicit"));
  }
  if (args.poll_secs <= 0 && *mode == server::ModelControlMode::kPoll) {
    return ReportError(Status::InvalidArgument("--repository-poll-secs must be positive in poll mode"));
  }
  server::ConfigureLogging(*format, args.log_verbose);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // A shell starts background jobs with SIGINT ignored; an ignored signal is
  // discarded even while blocked, so restore the default first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread started below

  server::ModelServerOptions options;
  options.repositories = args.repositories;
  options.control_mode = *mode;
  options.startup_models = args.load_models;
  options.threads = args.threads;
  options.batch_size_warmup = args.batch_size_warmup == "on";
  auto model_server = server::ModelServer::Create(std::move(options));
  if (!model_server.ok()) return ReportError(model_server.status());
  server::ModelServer& service = **model_server;

  Frontends frontends;
  Status started = frontends.Start(args, service);
  if (!started.ok()) return ReportError(started);
  std::unique_ptr<server::RepositoryPoller> poller;
  if (*mode == server::ModelControlMode::kPoll) {
    poller = std::make_unique<server::RepositoryPoller>([&service] { service.PollRepository(); },
                                                        std::chrono::seconds(args.poll_secs));
  }
  spdlog::info("kiln serve {} started ({} model repositor{}, ready: {})", KILN_VERSION, args.repositories.size(),
               args.repositories.size() == 1 ? "y" : "ies", service.IsReady() ? "yes" : "no");

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}: shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");

  service.BeginShutdown();
  poller.reset();
  auto drained = std::async(std::launch::async, [&] {
    frontends.Stop(std::chrono::seconds(args.exit_timeout_secs));
    service.Shutdown();
  });
  if (drained.wait_for(std::chrono::seconds(args.exit_timeout_secs)) != std::future_status::ready) {
    spdlog::error("requests still in flight after --exit-timeout-secs {}; exiting anyway", args.exit_timeout_secs);
    spdlog::shutdown();
    std::_Exit(kExitError);
  }
  spdlog::info("shut down cleanly");
  return kExitOk;
}

}  // namespace

CommandRunner RegisterServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the models of one or more model repositories (KServe v2)");
  cmd->add_option("--model-repository", args->repositories,
                  "Model repository folder: <model>/config.pbtxt, <model>/<version>/model.onnx (repeatable)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--model-control-mode", args->control_mode,
                  "none: load every model at start; poll: also follow repository changes; explicit: load only "
                  "--load-model models and what the repository API asks")
      ->check(CLI::IsMember({"none", "poll", "explicit"}))
      ->capture_default_str();
  cmd->add_option("--repository-poll-secs", args->poll_secs, "Seconds between repository scans in poll mode")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--load-model", args->load_models, "Model to load at start in explicit mode (repeatable; * = all)");
  cmd->add_option("--http-port", args->http_port, "HTTP/REST port")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--http-max-body-bytes", args->http_max_body_bytes,
                  "Largest HTTP request body accepted; larger ones get 413")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--grpc-port", args->grpc_port, "gRPC port")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--metrics-port", args->metrics_port, "Prometheus metrics port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--log-verbose", args->log_verbose, "Verbosity: 1 logs one line per request")
      ->default_str("0");
  cmd->add_option("--log-format", args->log_format, "Log line format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "Cores shared by all model instances (each instance gets cores / instances threads); 0 = all")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--batch-size-warmup", args->batch_size_warmup,
                  "on: a model with dynamic_batching runs every batch size up to max_batch_size at load, before it "
                  "is ready, so that no request pays a new shape's first run")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd->add_option("--exit-timeout-secs", args->exit_timeout_secs,
                  "Longest wait for in-flight requests at shutdown")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return [args] { return Serve(*args); };
}

}  // namespace kiln::tools
