#include "server/http/async_http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <thread>
#include <vector>

#include "server/http/http_connection.h"

namespace kiln::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct AsyncHttpServer::Impl {
  Impl(HttpServerOptions options, Router router, asio::ip::address address)
      : io(options.threads),
        work(asio::make_work_guard(io)),
        acceptor(asio::make_strand(io)),
        address(address),
        registry(std::make_shared<ConnectionRegistry>(std::move(router), std::move(options))) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpConnection>(std::move(socket), registry)->Start();
      }
      Accept();
    });
  }

  // Declared first: destroyed last, after everything that refers to it.
  asio::io_context io;
  // Keeps the I/O threads running while no operation is pending (a request
  // waiting for the engine has none) until Stop.
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  asio::ip::address address;
  std::shared_ptr<ConnectionRegistry> registry;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

Result<std::unique_ptr<AsyncHttpServer>> AsyncHttpServer::Create(HttpServerOptions options, Router router) {
  if (options.threads < 1) return Status::InvalidArgument("the HTTP server needs at least one I/O thread");
  if (options.max_body_bytes == 0) return Status::InvalidArgument("the HTTP request body limit must be positive");
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.address, ec);
  if (ec) return Status::InvalidArgument("'" + options.address + "' is not an IP address to listen on");
  return std::unique_ptr<AsyncHttpServer>(
      new AsyncHttpServer(std::make_unique<Impl>(std::move(options), std::move(router), address)));
}

AsyncHttpServer::AsyncHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AsyncHttpServer::~AsyncHttpServer() { Stop(); }

Status AsyncHttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::FailedPrecondition("the HTTP server was already started");
  const HttpServerOptions& options = s.registry->options();
  const tcp::endpoint endpoint(s.address, options.port);
  boost::system::error_code ec;
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    return Status::Unavailable("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                               ec.message());
  }
  s.port = s.acceptor.local_endpoint().port();
  s.started = true;
  s.Accept();
  s.threads.reserve(static_cast<size_t>(options.threads));
  for (int i = 0; i < options.threads; ++i) s.threads.emplace_back([&s] { s.io.run(); });
  return Status::Ok();
}

uint16_t AsyncHttpServer::port() const { return impl_->port; }

void AsyncHttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  asio::post(s.acceptor.get_executor(), [&s] {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
  });
  for (const auto& connection : s.registry->BeginStop()) connection->Shutdown();
  if (!s.registry->WaitUntilEmpty(s.registry->options().drain_timeout)) {
    for (const auto& connection : s.registry->Snapshot()) connection->ForceClose();
    s.registry->WaitUntilEmpty(std::chrono::milliseconds(500));
  }
  // From here on, responses arriving from other threads are dropped.
  s.registry->CloseGate();
  s.work.reset();
  s.io.stop();
  for (std::thread& thread : s.threads) thread.join();
  s.threads.clear();
  // The close posted above may not have run before the threads stopped.
  boost::system::error_code ignored;
  s.acceptor.close(ignored);
  s.registry->Clear();
}

}  // namespace kiln::server
