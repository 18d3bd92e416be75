#include "server/http/http_connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <cctype>

namespace kiln::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

bool ConnectionRegistry::Register(const std::shared_ptr<HttpConnection>& connection, uint64_t* id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  *id = next_id_++;
  connections_[*id] = connection;
  return true;
}

void ConnectionRegistry::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  connections_.erase(id);
  if (connections_.empty()) empty_.notify_all();
}

std::vector<std::shared_ptr<HttpConnection>> ConnectionRegistry::BeginStop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  std::vector<std::shared_ptr<HttpConnection>> out;
  for (const auto& [id, connection] : connections_) out.push_back(connection);
  return out;
}

bool ConnectionRegistry::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

bool ConnectionRegistry::WaitUntilEmpty(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return empty_.wait_for(lock, timeout, [&] { return connections_.empty(); });
}

std::vector<std::shared_ptr<HttpConnection>> ConnectionRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<HttpConnection>> out;
  for (const auto& [id, connection] : connections_) out.push_back(connection);
  return out;
}

void ConnectionRegistry::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  connections_.clear();
}

namespace {

// Holds the one answer of a request: the first Respond wins; a state dropped
// unanswered answers 500 so that the client is never left hanging.
class ResponseSlot {
 public:
  using Deliver = std::function<void(Responder::Producer)>;
  explicit ResponseSlot(Deliver deliver) : deliver_(std::move(deliver)) {}
  ~ResponseSlot() {
    if (!answered_.exchange(true)) {
      deliver_([] { return HttpResponse::Error(500, "the request handler produced no response"); });
    }
  }
  void Respond(Responder::Producer make) {
    if (!answered_.exchange(true)) deliver_(std::move(make));
  }

 private:
  Deliver deliver_;
  std::atomic<bool> answered_{false};
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, std::shared_ptr<ConnectionRegistry> registry)
    : stream_(std::move(socket)), registry_(std::move(registry)) {}

void HttpConnection::Start() {
  if (!registry_->Register(shared_from_this(), &id_)) {
    beast::error_code ec;
    stream_.socket().close(ec);
    return;
  }
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
}

void HttpConnection::Shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_) self->Close();
  });
}

void HttpConnection::ForceClose() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void HttpConnection::ReadRequest() {
  if (closed_) return;
  if (stopping_) return Close();
  parser_.emplace();
  parser_->body_limit(registry_->options().max_body_bytes);
  stream_.expires_after(registry_->options().idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(beast::error_code ec) {
  if (ec) return OnRequest(ec);
  const auto& header = parser_->get();
  auto expect = header.find(http::field::expect);
  if (expect != header.end() && Lower(std::string_view(expect->value().data(), expect->value().size())) ==
                                    "100-continue") {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code write_ec, size_t) {
                        if (write_ec) return self->Close();
                        http::async_read(self->stream_, self->buffer_, *self->parser_,
                                         [self](beast::error_code read_ec, size_t) { self->OnRequest(read_ec); });
                      });
    return;
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code read_ec, size_t) { self->OnRequest(read_ec); });
}

void HttpConnection::OnRequest(beast::error_code ec) {
  if (closed_) return;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
      ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return Close();
  }
  if (ec && parser_ && !parser_->get().target().empty()) {  // the start line arrived: log it
    log_entry_.method = std::string(parser_->get().method_string());
    log_entry_.target = std::string(parser_->get().target());
    request_start_ = std::chrono::steady_clock::now();
  }
  if (ec == http::error::body_limit) {
    busy_ = true;
    return Write(HttpResponse::Error(413, "request body larger than the limit of " +
                                              std::to_string(registry_->options().max_body_bytes) + " bytes"),
                 After::kCloseEarly);
  }
  if (ec == http::error::header_limit) {
    busy_ = true;
    return Write(HttpResponse::Error(431, "request header fields too large"), After::kCloseEarly);
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    busy_ = true;
    return Write(HttpResponse::Error(400, "malformed HTTP request: " + ec.message()), After::kCloseEarly);
  }
  if (ec) return Close();
  Dispatch();
}

Responder HttpConnection::MakeResponder() {
  std::weak_ptr<HttpConnection> weak = weak_from_this();
  std::shared_ptr<ConnectionRegistry> registry = registry_;
  auto slot = std::make_shared<ResponseSlot>([weak, registry](Responder::Producer make) {
    registry->IfOpen([&] {
      std::shared_ptr<HttpConnection> self = weak.lock();
      if (!self) return;
      asio::post(self->stream_.get_executor(),
                 [self, make = std::move(make)]() { self->Write(make(), After::kContinue); });
    });
  });
  return Responder([slot](Responder::Producer make) { slot->Respond(std::move(make)); });
}

void HttpConnection::Dispatch() {
  busy_ = true;
  auto message = parser_->release();
  request_keep_alive_ = message.keep_alive();
  request_start_ = std::chrono::steady_clock::now();
  log_entry_.method = std::string(message.method_string());
  log_entry_.target = std::string(message.target());
  log_entry_.request_bytes = message.body() ? message.body()->size() : 0;

  HttpRequest request;
  request.method = std::string(message.method_string());
  const std::string_view target(message.target().data(), message.target().size());
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  for (const auto& field : message) {
    request.headers.emplace_back(Lower(std::string_view(field.name_string().data(), field.name_string().size())),
                                 std::string(field.value()));
  }
  if (message.body()) request.body = std::move(message.body());

  Router::Match match = registry_->router().Find(request.method, request.path);
  if (match.status == 404) return Write(HttpResponse::Error(404, "no route for " + request.path), After::kContinue);
  if (match.status == 400) return Write(HttpResponse::Error(400, "malformed percent-encoding in " + request.path), After::kContinue);
  if (match.status == 405) {
    HttpResponse response = HttpResponse::Error(405, "method " + request.method + " not allowed for " + request.path);
    response.headers.emplace_back("Allow", match.allow);
    return Write(std::move(response), After::kContinue);
  }
  request.path_params = std::move(match.params);
  (*match.handler)(std::move(request), MakeResponder());
}

void HttpConnection::Write(HttpResponse response, After after) {
  if (closed_) return;
  if (after == After::kContinue && (stopping_ || !request_keep_alive_)) after = After::kClose;
  const bool close = after != After::kContinue;
  response_.emplace();
  Response& out = *response_;
  out.version(11);
  out.result(static_cast<unsigned>(response.status));
  out.set(http::field::server, registry_->options().server_header);
  if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) out.set(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(!close);
  out.prepare_payload();
  if (registry_->options().request_log) {
    if (log_entry_.method.empty()) {  // answered before a request was parsed (413, 400)
      log_entry_.method = "-";
      log_entry_.target = "-";
      request_start_ = std::chrono::steady_clock::now();
    }
    beast::error_code remote_ec;
    const auto remote = stream_.socket().remote_endpoint(remote_ec);
    log_entry_.remote = remote_ec ? "-" : remote.address().to_string() + ":" + std::to_string(remote.port());
    log_entry_.status = response.status;
    log_entry_.response_bytes = out.body().size();
    log_entry_.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                                request_start_);
    registry_->options().request_log(log_entry_);
  }
  log_entry_ = HttpRequestLogEntry{};
  stream_.expires_after(registry_->options().idle_timeout);
  http::async_write(stream_, out, [self = shared_from_this(), after](beast::error_code ec, size_t) {
    self->OnWrite(ec, after);
  });
}

void HttpConnection::OnWrite(beast::error_code ec, After after) {
  response_.reset();
  busy_ = false;
  if (ec || after == After::kClose) return Close();
  if (after == After::kCloseEarly) return LingerAndClose();
  ReadRequest();
}

void HttpConnection::LingerAndClose() {
  if (closed_) return;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  // Read and drop what the client still sends (an oversized upload) for a
  // short while, so that closing does not reset the connection before the
  // client has read the response.
  constexpr size_t kMaxDrainBytes = size_t{16} << 20;
  if (drained_bytes_ > kMaxDrainBytes) return Close();
  stream_.expires_after(std::chrono::seconds(2));
  stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, size_t n) {
    if (ec) return self->Close();
    self->drained_bytes_ += n;
    self->LingerAndClose();
  });
}

void HttpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  registry_->Unregister(id_);
}

}  // namespace kiln::server
