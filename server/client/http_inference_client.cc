#include "server/client/http_inference_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/client/http_v2_codec.h"

namespace kiln::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kHeaderLengthField = "Inference-Header-Content-Length";

Status StatusFromHttp(unsigned code, const std::string& message) {
  switch (code) {
    case 400: return Status::InvalidArgument(message);
    case 404: return Status::NotFound(message);
    case 429: return Status::ResourceExhausted(message);
    case 501: return Status::Unimplemented(message);
    case 503: return Status::Unavailable(message);
    default: return Status::Internal("HTTP " + std::to_string(code) + ": " + message);
  }
}

// Escapes a path segment (model names are plain, but stay safe).
std::string EscapeSegment(const std::string& segment) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

struct HttpInferenceClient::Connection {
  std::string host;
  asio::io_context io;
  tcp::resolver::results_type endpoints;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;
};

Result<std::unique_ptr<HttpInferenceClient>> HttpInferenceClient::Create(const std::string& host,
                                                                         const std::string& port) {
  auto connection = std::make_unique<Connection>();
  connection->host = host;
  beast::error_code error;
  tcp::resolver resolver(connection->io);
  connection->endpoints = resolver.resolve(host, port, error);
  if (error) return Status::Unavailable("cannot resolve " + host + ":" + port + ": " + error.message());
  return std::unique_ptr<HttpInferenceClient>(new HttpInferenceClient(std::move(connection)));
}

HttpInferenceClient::HttpInferenceClient(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)) {}

HttpInferenceClient::~HttpInferenceClient() {
  if (connection_->connected) {
    beast::error_code ignored;
    connection_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

std::string HttpInferenceClient::ModelPath(const std::string& model, const std::string& version) {
  std::string path = "/v2/models/" + EscapeSegment(model);
  if (!version.empty()) path += "/versions/" + EscapeSegment(version);
  return path;
}

Result<HttpInferenceClient::Reply> HttpInferenceClient::Exchange(bool post, const std::string& target,
                                                                 const std::string& body,
                                                                 std::optional<size_t> header_length) {
  Connection& c = *connection_;
  http::request<http::string_body> request(post ? http::verb::post : http::verb::get, target, 11);
  request.set(http::field::host, c.host);
  request.keep_alive(true);
  if (post) {
    request.set(http::field::content_type, header_length ? "application/octet-stream" : "application/json");
    if (header_length) request.set(kHeaderLengthField, std::to_string(*header_length));
    request.body() = body;
    request.prepare_payload();
  }
  beast::error_code error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.connected;
    if (!c.connected) {
      c.stream.connect(c.endpoints, error);
      if (error) return Status::Unavailable("cannot connect to " + c.host + ": " + error.message());
      c.stream.socket().set_option(tcp::no_delay(true), error);
      c.connected = true;
      c.buffer.clear();
    }
    http::write(c.stream, request, error);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!error) http::read(c.stream, c.buffer, parser, error);
    if (error) {
      beast::error_code ignored;
      c.stream.socket().close(ignored);
      c.connected = false;
      // A kept-alive connection the server closed meanwhile: try a fresh one.
      if (reused && attempt == 0) continue;
      return Status::Unavailable("HTTP exchange with " + c.host + " failed: " + error.message());
    }
    http::response<http::string_body> response = parser.release();
    Reply reply;
    reply.status = response.result_int();
    auto field = response.find(kHeaderLengthField);
    if (field != response.end()) {
      reply.header_length = static_cast<size_t>(std::strtoull(std::string(field->value()).c_str(), nullptr, 10));
    }
    reply.body = std::move(response.body());
    if (!response.keep_alive()) {
      beast::error_code ignored;
      c.stream.socket().close(ignored);
      c.connected = false;
    }
    return reply;
  }
  return Status::Unavailable("HTTP exchange with " + c.host + " failed");
}

Result<bool> HttpInferenceClient::IsServerLive() {
  KILN_ASSIGN_OR_RETURN(Reply reply, Exchange(false, "/v2/health/live", "", std::nullopt));
  return reply.status == 200;
}

Result<ModelMetadata> HttpInferenceClient::GetModelMetadata(const std::string& model, const std::string& version) {
  KILN_ASSIGN_OR_RETURN(Reply reply, Exchange(false, ModelPath(model, version), "", std::nullopt));
  if (reply.status != 200) return StatusFromHttp(reply.status, DecodeHttpError(reply.body));
  return DecodeHttpModelMetadata(reply.body);
}

Result<std::vector<ModelStatisticsSnapshot>> HttpInferenceClient::GetModelStatistics(const std::string& model,
                                                                                     const std::string& version) {
  const std::string target = model.empty() ? "/v2/models/stats" : ModelPath(model, version) + "/stats";
  KILN_ASSIGN_OR_RETURN(Reply reply, Exchange(false, target, "", std::nullopt));
  if (reply.status != 200) return StatusFromHttp(reply.status, DecodeHttpError(reply.body));
  return DecodeHttpModelStatistics(reply.body);
}

Result<std::vector<ClientTensor>> HttpInferenceClient::Infer(const std::string& model, const std::string& version,
                                                             const std::vector<ClientTensor>& inputs) {
  HttpInferBody encoded = EncodeHttpInferRequest(inputs);
  KILN_ASSIGN_OR_RETURN(Reply reply,
                        Exchange(true, ModelPath(model, version) + "/infer", encoded.body, encoded.header_length));
  if (reply.status != 200) return StatusFromHttp(reply.status, DecodeHttpError(reply.body));
  return DecodeHttpInferResponse(reply.body, reply.header_length);
}

}  // namespace kiln::server
