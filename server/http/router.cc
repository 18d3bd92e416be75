#include "server/http/router.h"

#include <set>

namespace kiln::server {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  // path starts with '/'; "/a/b" -> {"a", "b"}, "/" -> {""}.
  size_t start = 1;
  while (true) {
    const size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      return parts;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Result<Router> Router::Create(std::vector<Route> routes) {
  std::vector<CompiledRoute> compiled;
  compiled.reserve(routes.size());
  for (auto& route : routes) {
    const std::string where = route.method + " " + route.pattern;
    if (route.method.empty()) return Status::InvalidArgument("route " + where + ": empty method");
    if (!route.handler) return Status::InvalidArgument("route " + where + ": no handler");
    if (route.pattern.empty() || route.pattern[0] != '/') {
      return Status::InvalidArgument("route " + where + ": the pattern must start with '/'");
    }
    CompiledRoute out{route.method, {}, std::move(route.handler)};
    std::set<std::string> names;
    for (std::string_view part : SplitPath(route.pattern)) {
      Segment segment;
      if (!part.empty() && part.front() == '{') {
        if (part.size() < 3 || part.back() != '}') {
          return Status::InvalidArgument("route " + where + ": malformed parameter '" + std::string(part) + "'");
        }
        segment.is_param = true;
        segment.text = std::string(part.substr(1, part.size() - 2));
        if (!names.insert(segment.text).second) {
          return Status::InvalidArgument("route " + where + ": parameter '" + segment.text + "' used twice");
        }
      } else {
        if (part.find_first_of("{}") != std::string_view::npos) {
          return Status::InvalidArgument("route " + where + ": malformed segment '" + std::string(part) + "'");
        }
        segment.text = std::string(part);
      }
      out.segments.push_back(std::move(segment));
    }
    compiled.push_back(std::move(out));
  }
  return Router(std::move(compiled));
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match match;
  if (path.empty() || path[0] != '/') return match;
  const std::vector<std::string_view> parts = SplitPath(path);
  std::set<std::string> allowed;
  for (const CompiledRoute& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    // Literal segments first: parameters are decoded (allocated) only for
    // the route that matches.
    bool literals_match = true;
    for (size_t i = 0; i < parts.size() && literals_match; ++i) {
      literals_match = route.segments[i].is_param || route.segments[i].text == parts[i];
    }
    if (!literals_match) continue;
    std::map<std::string, std::string> params;
    bool matches = true;
    bool bad_escape = false;
    for (size_t i = 0; i < parts.size() && matches; ++i) {
      const Segment& segment = route.segments[i];
      if (!segment.is_param) {
        matches = segment.text == parts[i];
        continue;
      }
      if (parts[i].empty()) {
        matches = false;
        continue;
      }
      std::optional<std::string> decoded = PercentDecode(parts[i]);
      if (!decoded) {
        bad_escape = true;
        break;
      }
      params[segment.text] = std::move(*decoded);
    }
    if (bad_escape) {
      match.status = 400;
      return match;
    }
    if (!matches) continue;
    if (route.method != method) {
      allowed.insert(route.method);
      continue;
    }
    match.status = 200;
    match.handler = &route.handler;
    match.params = std::move(params);
    return match;
  }
  if (!allowed.empty()) {
    match.status = 405;
    for (const std::string& m : allowed) {
      if (!match.allow.empty()) match.allow.append(", ");
      match.allow.append(m);
    }
  }
  return match;
}

}  // namespace kiln::server
