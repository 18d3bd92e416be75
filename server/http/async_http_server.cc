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

// One io_context per I/O thread, each connection bound to one of them (round
// robin at accept). Threads that share one io_context contend for its
// scheduler's mutex on every operation: with the default 4 threads on 2
// cores that lock cost the batched linear model of bench/serving.sh about
// 25 µs of server CPU per request (docs/performance.md, section 3).
struct AsyncHttpServer::Impl {
  Impl(HttpServerOptions options, Router router, asio::ip::address address)
      : contexts(MakeContexts(options.threads)),
        acceptor(asio::make_strand(*contexts.front())),
        address(address),
        registry(std::make_shared<ConnectionRegistry>(std::move(router), std::move(options))) {
    for (const auto& io : contexts) work.push_back(asio::make_work_guard(*io));
  }

  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
    return contexts;
  }

  void Accept() {
    // The accept handler runs on the acceptor's strand: next_context needs no lock.
    asio::io_context& io = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
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

  // Declared first: destroyed last, after everything that refers to them.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Keep the I/O threads running while no operation is pending (a request
  // waiting for the engine has none) until Stop.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor;
  size_t next_context = 0;
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
  s.threads.reserve(s.contexts.size());
  for (const auto& io : s.contexts) s.threads.emplace_back([context = io.get()] { context->run(); });
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
  for (auto& guard : s.work) guard.reset();
  for (const auto& io : s.contexts) io->stop();
  for (std::thread& thread : s.threads) thread.join();
  s.threads.clear();
  // The close posted above may not have run before the threads stopped.
  boost::system::error_code ignored;
  s.acceptor.close(ignored);
  s.registry->Clear();
}

}  // namespace kiln::server
