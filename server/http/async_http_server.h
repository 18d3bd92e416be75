// AsyncHttpServer: an HTTP/1.1 server on Boost.Beast/Asio that dispatches
// requests through a Router. The transport under the KServe v2 front-end
// (HttpServer) and the metrics endpoint (MetricsServer).
//
// - A fixed pool of `threads` I/O threads, each with an io_context of its
//   own; an accepted connection is bound to the next one in turn (no thread
//   per connection) and serialised on its own strand. Threads sharing one
//   io_context contend for its lock on every operation. The flip side: a
//   handler that blocks stalls every connection of its thread, so handlers
//   must not block (the v2 routes hand inference to the model's threads and
//   repository loads to a worker).
// - Keep-alive (HTTP/1.1 default), TCP_NODELAY, "Expect: 100-continue".
// - Bodies above `max_body_bytes` get 413 {"error": ...} and the connection
//   is closed cleanly (the rest of the upload is drained briefly first so the
//   client sees the response, not a reset). Malformed HTTP gets 400 and a
//   close; unknown paths 404, a known path with the wrong method 405.
// - Handlers answer through a Responder, from any thread and at any time:
//   the response is posted back to the connection's strand, so I/O threads
//   need not wait for the engine. A handler that drops its Responder
//   unanswered produces a 500.
// - Stop(): stops accepting, closes idle connections, lets every request in
//   flight finish and send its response (bounded by `drain_timeout`), then
//   joins the I/O threads. Responses that arrive later are dropped.
//
// Thread-safety: Start/Stop/port from one controlling thread; handlers run on
// I/O threads concurrently. Owns its threads and sockets (RAII: the
// destructor stops).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/core/status.h"
#include "server/http/router.h"

namespace kiln::server {

// One answered request, for HttpServerOptions::request_log.
struct HttpRequestLogEntry {
  std::string remote;  // "address:port" of the client
  std::string method;
  std::string target;  // path and query as sent ("-" when the request could not be parsed)
  int status = 0;
  size_t request_bytes = 0;   // body
  size_t response_bytes = 0;  // body
  std::chrono::microseconds duration{0};  // request read to response handed to the socket
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";  // IPv4 or IPv6 literal to listen on
  uint16_t port = 8000;              // 0: an ephemeral port (see port())
  int threads = 4;                   // I/O threads
  size_t max_body_bytes = size_t{64} << 20;
  // A keep-alive connection idle this long (or a request this slow to
  // arrive, or a response this slow to leave) is closed.
  std::chrono::milliseconds idle_timeout{60000};
  // Stop() waits at most this long for requests in flight.
  std::chrono::milliseconds drain_timeout{30000};
  std::string server_header = "kiln";
  // Called once per answered request (on an I/O thread; keep it cheap and
  // thread-safe), e.g. for `--log-verbose` request lines. Unset: no log.
  std::function<void(const HttpRequestLogEntry&)> request_log;
};

class AsyncHttpServer {
 public:
  // InvalidArgument for bad options (threads < 1, a malformed address).
  static Result<std::unique_ptr<AsyncHttpServer>> Create(HttpServerOptions options, Router router);
  ~AsyncHttpServer();
  AsyncHttpServer(const AsyncHttpServer&) = delete;
  AsyncHttpServer& operator=(const AsyncHttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Unavailable when the address
  // cannot be bound (port in use); FailedPrecondition when called twice.
  Status Start();
  // The port listened on (the chosen one when options.port was 0); 0 before Start.
  uint16_t port() const;
  // Graceful stop (see above). Idempotent; also done by the destructor.
  void Stop();

  struct Impl;  // Beast/Asio state, kept out of this header

 private:
  explicit AsyncHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::server
