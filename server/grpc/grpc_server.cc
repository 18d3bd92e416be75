#include "server/grpc/grpc_server.h"

#include <algorithm>
#include <limits>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "server/grpc/grpc_inference_service.h"

namespace kiln::server {
namespace {

// "host:port", with IPv6 literals bracketed.
std::string ListenAddress(const std::string& address, int port) {
  const bool ipv6 = address.find(':') != std::string::npos && address.front() != '[';
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<GrpcServer>> GrpcServer::Create(const GrpcServerOptions& options, InferenceService& service) {
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("gRPC port " + std::to_string(options.port) + " is outside 0..65535");
  }
  if (options.address.empty()) return Status::InvalidArgument("gRPC listen address is empty");
  const std::string address = ListenAddress(options.address, options.port);
  auto handler = std::make_unique<GrpcInferenceService>(service);

  ::grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address, ::grpc::InsecureServerCredentials(), &bound_port);
  builder.RegisterService(handler.get());
  const size_t limit = std::min<size_t>(options.max_message_bytes, std::numeric_limits<int>::max());
  builder.SetMaxReceiveMessageSize(static_cast<int>(limit));
  builder.SetMaxSendMessageSize(-1);
  // One listener per port: a second server on the same port fails to bind.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<::grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    if (server != nullptr) server->Shutdown();
    return Status::Unavailable("cannot serve gRPC on " + address + " (address in use or invalid)");
  }
  spdlog::info("gRPC server listening on {}", ListenAddress(options.address, bound_port));
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(handler), std::move(server), bound_port));
}

GrpcServer::GrpcServer(std::unique_ptr<GrpcInferenceService> handler, std::unique_ptr<::grpc::Server> server, int port)
    : handler_(std::move(handler)), server_(std::move(server)), port_(port) {}

GrpcServer::~GrpcServer() { Stop(std::chrono::milliseconds(0)); }

void GrpcServer::Stop(std::chrono::milliseconds grace) {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  handler_->StopWorker();
  spdlog::info("gRPC server on port {} stopped", port_);
}

}  // namespace kiln::server
