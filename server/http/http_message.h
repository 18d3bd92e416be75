// HttpRequest / HttpResponse: the library-neutral HTTP messages that route
// handlers see and produce, so that handlers (the KServe v2 API, /metrics)
// never touch Boost.Beast and stay testable without sockets.
//
// Plain values, and the Responder through which a handler answers (any
// thread, once).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/request_buffer.h"

namespace kiln::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query, as sent (percent-encoded)
  std::string query;   // after '?', empty when none
  // Header fields with lower-case names.
  std::vector<std::pair<std::string, std::string>> headers;
  // The body; never null (empty buffer for no body). Shared so that tensors
  // may borrow from it beyond the handler.
  std::shared_ptr<RequestBuffer> body = std::make_shared<RequestBuffer>();
  // Path parameters captured by the route pattern ({model} -> "model"),
  // percent-decoded.
  std::map<std::string, std::string> path_params;

  // The value of a header (name in any case), nullopt when absent.
  std::optional<std::string_view> Header(std::string_view name) const;
  // A path parameter, empty when the route has none of that name.
  const std::string& Param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra header fields
  std::string body;

  static HttpResponse Json(int status, std::string body);
  // {"error": "<message>"} with `status`.
  static HttpResponse Error(int status, std::string_view message);
  // No body (e.g. health endpoints).
  static HttpResponse Empty(int status);
};

// Delivers the response of one request: one call of either form, from any
// thread; later calls are ignored. Copies share the one answer. A request
// whose every Responder copy is dropped unanswered gets a 500.
class Responder {
 public:
  using Producer = std::function<HttpResponse()>;

  Responder() = default;
  explicit Responder(std::function<void(Producer)> deliver) : deliver_(std::move(deliver)) {}

  // Sends `response`.
  void operator()(HttpResponse response) const {
    deliver_([response = std::move(response)]() mutable { return std::move(response); });
  }
  // Builds the response on the connection's I/O thread: for work (encoding
  // an inference result) that should not hold the thread that answers (an
  // engine or scheduler thread).
  void Later(Producer make) const { deliver_(std::move(make)); }

 private:
  std::function<void(Producer)> deliver_;
};

// A route handler: answers `request` through `respond`, now or later (it
// must not block on slow work; hand it off and respond from the callback).
using RouteHandler = std::function<void(HttpRequest request, Responder respond)>;

}  // namespace kiln::server
