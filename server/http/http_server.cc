#include "server/http/http_server.h"

#include "server/http/v2_routes.h"

namespace kiln::server {

Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options, InferenceService& service) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->blocking_ = std::make_unique<BlockingWorker>();
  KILN_ASSIGN_OR_RETURN(Router router, Router::Create(MakeV2Routes(service, *server->blocking_)));
  KILN_ASSIGN_OR_RETURN(server->server_, AsyncHttpServer::Create(std::move(options), std::move(router)));
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->Stop();
}

}  // namespace kiln::server
