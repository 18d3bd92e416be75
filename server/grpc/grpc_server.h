// GrpcServer: Kiln's KServe v2 gRPC endpoint (service
// inference.GRPCInferenceService, server/proto/grpc_service.proto) in front
// of an InferenceService.
//
// Usage (what `kiln serve` does):
//   GrpcServerOptions options;               // address "0.0.0.0", port 8001
//   options.port = 0;                        // 0: any free port
//   KILN_ASSIGN_OR_RETURN(auto grpc, GrpcServer::Create(options, service));
//   grpc->port();                            // the port actually bound
//   ...
//   grpc->Stop(std::chrono::seconds(30));    // on SIGTERM
//
// Serving runs on gRPC's callback API: no thread per connection or request,
// and inference never blocks a gRPC thread (see GrpcInferenceService).
// Requests larger than max_message_bytes are refused by gRPC itself with
// RESOURCE_EXHAUSTED before they are decoded.
//
// Ownership: borrows `service`, which must outlive the GrpcServer.
// Thread-safety: port() and Stop() may be called from any thread; Stop() is
// idempotent; the destructor stops the server (without grace).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "engine/core/status.h"
#include "server/core/inference_service.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace kiln::server {

class GrpcInferenceService;

struct GrpcServerOptions {
  // Interface to listen on: "0.0.0.0" (all IPv4), "::" (all), "127.0.0.1".
  std::string address = "0.0.0.0";
  // TCP port; 0 binds any free port (read it back with GrpcServer::port()).
  int port = 8001;
  // Largest request message accepted, in bytes (capped at 2 GiB - 1, gRPC's
  // limit; 64 MiB like the HTTP front-end's body limit). Responses are not
  // limited.
  size_t max_message_bytes = size_t{64} << 20;
};

class GrpcServer {
 public:
  // Binds and starts serving. Unavailable when the address cannot be bound
  // (port taken, bad address); InvalidArgument for a port outside 0..65535.
  static Result<std::unique_ptr<GrpcServer>> Create(const GrpcServerOptions& options, InferenceService& service);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  int port() const { return port_; }

  // Graceful shutdown: stops accepting calls, lets calls in flight finish for
  // up to `grace`, then cancels what is left (a cancelled inference still
  // waits for its InferenceService callback); returns when every call is
  // done. Open ModelStreamInfer streams end when their client closes them or
  // at the deadline.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(30));

 private:
  GrpcServer(std::unique_ptr<GrpcInferenceService> handler, std::unique_ptr<::grpc::Server> server, int port);

  std::unique_ptr<GrpcInferenceService> handler_;  // outlives server_
  std::unique_ptr<::grpc::Server> server_;
  int port_ = 0;
  std::mutex stop_mutex_;  // serialises Stop()
  bool stopped_ = false;   // guarded by stop_mutex_
};

}  // namespace kiln::server
