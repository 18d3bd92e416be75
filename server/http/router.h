// Router: a plain table of routes (method + path pattern -> handler) and the
// lookup that picks one for a request.
//
// Patterns are '/'-separated segments, each a literal or a parameter in
// braces: "/v2/models/{model}/versions/{version}/infer". A parameter matches
// one non-empty segment, percent-decoded into HttpRequest::path_params.
// Routes are tried in table order, so list literal routes before parameter
// routes that would also match them. Immutable after Create: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/http/http_message.h"

namespace kiln::server {

struct Route {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // e.g. "/v2/models/{model}/ready"
  RouteHandler handler;
};

class Router {
 public:
  // InvalidArgument for a malformed pattern (not starting with '/', an empty
  // or unclosed parameter, a parameter name used twice) or a missing handler.
  static Result<Router> Create(std::vector<Route> routes);

  struct Match {
    // 200: `handler` is set and `params` filled; 404: no pattern matches the
    // path; 405: a pattern matches but not with this method (`allow` lists
    // the methods that would); 400: a parameter is not valid percent-encoding.
    int status = 404;
    const RouteHandler* handler = nullptr;
    std::map<std::string, std::string> params;
    std::string allow;  // "GET, POST"
  };
  Match Find(const std::string& method, const std::string& path) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct CompiledRoute {
    std::string method;
    std::vector<Segment> segments;
    RouteHandler handler;
  };
  explicit Router(std::vector<CompiledRoute> routes) : routes_(std::move(routes)) {}

  std::vector<CompiledRoute> routes_;
};

// Decodes %XX escapes (and nothing else: '+' stays '+'); nullopt for a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace kiln::server
