// HttpConnection: one accepted TCP connection of an AsyncHttpServer. Reads
// requests one after another (keep-alive), dispatches each through the
// Router, and writes the response the handler delivers — possibly later and
// from another thread, always posted back onto this connection's strand.
//
// Ownership: the server's ConnectionRegistry holds a strong reference until
// the connection closes; pending Asio operations hold more. Responders hold
// only a weak reference plus the registry, whose gate refuses posts once the
// server has stopped its I/O threads. Every member function except
// Start/Shutdown runs on the strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "server/http/async_http_server.h"
#include "server/http/beast_request_body.h"
#include "server/http/router.h"

namespace kiln::server {

class HttpConnection;

// What the server shares with its connections (and outlives it if a
// connection is still referenced).
class ConnectionRegistry {
 public:
  ConnectionRegistry(Router router, HttpServerOptions options)
      : router_(std::move(router)), options_(std::move(options)) {}

  const Router& router() const { return router_; }
  const HttpServerOptions& options() const { return options_; }

  // False (and nothing registered) once stopping.
  bool Register(const std::shared_ptr<HttpConnection>& connection, uint64_t* id);
  void Unregister(uint64_t id);
  // Marks stopping and returns the connections open now.
  std::vector<std::shared_ptr<HttpConnection>> BeginStop();
  bool stopping() const;
  // Waits until no connection is registered or `timeout` passed; true when none is.
  bool WaitUntilEmpty(std::chrono::milliseconds timeout);
  std::vector<std::shared_ptr<HttpConnection>> Snapshot() const;
  void Clear();

  // The gate for responses arriving from other threads: `post` runs under
  // the gate's lock while it is open; after CloseGate nothing runs.
  template <typename F>
  void IfOpen(F&& post) {
    std::lock_guard<std::mutex> lock(gate_mutex_);
    if (gate_open_) post();
  }
  void CloseGate() {
    std::lock_guard<std::mutex> lock(gate_mutex_);
    gate_open_ = false;
  }

 private:
  const Router router_;
  const HttpServerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable empty_;
  std::map<uint64_t, std::shared_ptr<HttpConnection>> connections_;  // guarded by mutex_
  uint64_t next_id_ = 1;                                             // guarded by mutex_
  bool stopping_ = false;                                            // guarded by mutex_

  std::mutex gate_mutex_;
  bool gate_open_ = true;  // guarded by gate_mutex_
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionRegistry> registry);

  // Registers and starts reading; closes at once when the server is stopping.
  void Start();
  // Asks the connection to finish: idle ones close now, busy ones after
  // sending the response in flight. Any thread.
  void Shutdown();
  // Closes the socket now (a stop that ran out of time). Any thread.
  void ForceClose();

 private:
  using Parser = boost::beast::http::request_parser<BeastRequestBody>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void ReadRequest();
  void OnHeader(boost::beast::error_code ec);
  void OnRequest(boost::beast::error_code ec);
  void Dispatch();
  // Sends `response`. After it, the connection closes when `close` is set
  // (or the request or a stop asks for it); `early` marks a response sent
  // before the request was read whole (so the rest is drained first).
  enum class After { kContinue, kClose, kCloseEarly };
  void Write(HttpResponse response, After after);
  void OnWrite(boost::beast::error_code ec, After after);
  // After an early error response: stop sending, drain what the client still
  // sends for a moment, then close.
  void LingerAndClose();
  void Close();
  Responder MakeResponder();

  boost::beast::tcp_stream stream_;
  std::shared_ptr<ConnectionRegistry> registry_;
  uint64_t id_ = 0;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<Response> response_;  // alive while being written
  bool request_keep_alive_ = true;    // of the request being answered
  HttpRequestLogEntry log_entry_;     // of the request being answered
  std::chrono::steady_clock::time_point request_start_;
  bool busy_ = false;                 // a request is being handled
  bool stopping_ = false;             // finish the current request, then close
  bool closed_ = false;
  std::array<char, 4096> drain_buffer_{};
  size_t drained_bytes_ = 0;
};

}  // namespace kiln::server
