// HttpServer: Kiln's KServe v2 HTTP/REST front-end — the v2 route table
// (v2_routes.h) served by an AsyncHttpServer. This is what `kiln serve`
// starts on --http-port.
//
// Usage:
//   HttpServerOptions options;             // address, port (8000), threads,
//   options.port = flags.http_port;        // max_body_bytes, timeouts
//   KILN_ASSIGN_OR_RETURN(auto http, HttpServer::Create(options, model_server));
//   KILN_RETURN_IF_ERROR(http->Start());  // Unavailable if the port is taken
//   ... http->port() ...                   // the bound port (useful with port 0)
//   http->Stop();                          // graceful: finishes requests in flight
//
// `service` must outlive the HttpServer. Start/Stop/port from one
// controlling thread; the destructor stops.
#pragma once

#include <memory>

#include "engine/core/status.h"
#include "server/core/inference_service.h"
#include "server/http/async_http_server.h"
#include "server/http/blocking_worker.h"

namespace kiln::server {

class HttpServer {
 public:
  // InvalidArgument for bad options (see AsyncHttpServer::Create).
  static Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options, InferenceService& service);
  ~HttpServer();

  Status Start() { return server_->Start(); }
  uint16_t port() const { return server_->port(); }
  void Stop() { server_->Stop(); }

 private:
  HttpServer() = default;

  // Declared before server_: outlives it, so load/unload jobs can still
  // answer while the server drains.
  std::unique_ptr<BlockingWorker> blocking_;
  std::unique_ptr<AsyncHttpServer> server_;
};

}  // namespace kiln::server
