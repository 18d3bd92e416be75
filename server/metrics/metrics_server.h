// MetricsServer: serves GET /metrics (Prometheus text exposition, see
// MetricsExporter) on its own port — what `kiln serve` starts on
// --metrics-port (default 8002). The same AsyncHttpServer as the v2 API,
// with a one-route table.
//
// Usage:
//   MetricsServerOptions options;
//   options.port = flags.metrics_port;
//   KILN_ASSIGN_OR_RETURN(auto metrics, MetricsServer::Create(options, model_server));
//   KILN_RETURN_IF_ERROR(metrics->Start());
//   ... metrics->Stop();
//
// `service` must outlive the server. Start/Stop/port from one controlling
// thread; the destructor stops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/status.h"
#include "server/core/inference_service.h"
#include "server/http/async_http_server.h"
#include "server/metrics/metrics_exporter.h"

namespace kiln::server {

struct MetricsServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 8002;  // 0: an ephemeral port
  int threads = 1;
};

class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> Create(MetricsServerOptions options, const InferenceService& service);

  Status Start() { return server_->Start(); }
  uint16_t port() const { return server_->port(); }
  void Stop() { server_->Stop(); }

 private:
  explicit MetricsServer(const InferenceService& service) : exporter_(service) {}

  MetricsExporter exporter_;  // outlives server_, whose handler uses it
  std::unique_ptr<AsyncHttpServer> server_;
};

}  // namespace kiln::server
