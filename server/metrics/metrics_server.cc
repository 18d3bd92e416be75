#include "server/metrics/metrics_server.h"

namespace kiln::server {

Result<std::unique_ptr<MetricsServer>> MetricsServer::Create(MetricsServerOptions options,
                                                             const InferenceService& service) {
  std::unique_ptr<MetricsServer> server(new MetricsServer(service));
  const MetricsExporter* exporter = &server->exporter_;
  KILN_ASSIGN_OR_RETURN(Router router, Router::Create({{"GET", "/metrics", [exporter](HttpRequest, Responder respond) {
                                                           HttpResponse response = HttpResponse::Json(200, exporter->Render());
                                                           response.content_type = kPrometheusContentType;
                                                           respond(std::move(response));
                                                         }}}));
  HttpServerOptions http;
  http.address = options.address;
  http.port = options.port;
  http.threads = options.threads;
  http.max_body_bytes = 64 * 1024;  // scrapes carry no body
  http.drain_timeout = std::chrono::seconds(5);
  KILN_ASSIGN_OR_RETURN(server->server_, AsyncHttpServer::Create(std::move(http), std::move(router)));
  return server;
}

}  // namespace kiln::server
