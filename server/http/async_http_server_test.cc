#include "server/http/async_http_server.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "server/http/testing/test_http_client.h"

namespace kiln::server {
namespace {

using http_testing::TestHttpClient;

struct Started {
  std::unique_ptr<AsyncHttpServer> server;
  uint16_t port = 0;
};

Started StartServer(std::vector<Route> routes, HttpServerOptions options = {}) {
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  auto router = Router::Create(std::move(routes));
  EXPECT_TRUE(router.ok()) << router.status().ToString();
  auto server = AsyncHttpServer::Create(options, std::move(*router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  Status status = (*server)->Start();
  EXPECT_TRUE(status.ok()) << status.ToString();
  Started started;
  started.port = (*server)->port();
  started.server = std::move(*server);
  return started;
}

Route Hello() {
  return {"GET", "/hello", [](HttpRequest request, Responder respond) {
            respond(HttpResponse::Json(200, R"({"hello":")" + request.query + "\"}"));
          }};
}

Route Echo() {
  return {"POST", "/echo", [](HttpRequest request, Responder respond) {
            HttpResponse response;
            response.content_type = "application/octet-stream";
            response.body = std::string(request.body->view());
            respond(std::move(response));
          }};
}

TEST(AsyncHttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  Started s = StartServer({Hello(), Echo()});
  ASSERT_NE(s.port, 0);
  TestHttpClient client(s.port);
  for (int i = 0; i < 5; ++i) {
    auto response = client.Request("GET", "/hello?n=" + std::to_string(i));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"hello":"n=)" + std::to_string(i) + "\"}");
    EXPECT_EQ(response.Header("content-type"), "application/json");
    EXPECT_EQ(response.Header("server"), "kiln");
    EXPECT_TRUE(response.keep_alive);
    const std::string payload(1000 + i, static_cast<char>('a' + i));
    response = client.Request("POST", "/echo", payload);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, payload);
  }
}

TEST(AsyncHttpServer, ConnectionCloseIsHonoured) {
  Started s = StartServer({Hello()});
  TestHttpClient client(s.port);
  auto response = client.Request("GET", "/hello", "", {{"Connection", "close"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.keep_alive);
  EXPECT_TRUE(client.ServerClosed());
}

TEST(AsyncHttpServer, HandlersMayAnswerLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mutex;
  Started s = StartServer({{"GET", "/later", [&](HttpRequest, Responder respond) {
                              std::lock_guard<std::mutex> lock(mutex);
                              workers.emplace_back([respond] { respond(HttpResponse::Json(200, "{\"late\":true}")); });
                            }}});
  TestHttpClient client(s.port);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Request("GET", "/later").body, "{\"late\":true}");
  s.server->Stop();
  for (auto& worker : workers) worker.join();
}

TEST(AsyncHttpServer, EachConnectionStaysOnOneIoThreadAndConnectionsSpreadOverThem) {
  std::mutex mutex;
  std::set<std::thread::id> threads_of[2];  // by the connection named in the query
  Started s = StartServer({{"GET", "/where", [&](HttpRequest request, Responder respond) {
                              std::lock_guard<std::mutex> lock(mutex);
                              threads_of[request.query == "b" ? 1 : 0].insert(std::this_thread::get_id());
                              respond(HttpResponse::Json(200, "{}"));
                            }}});  // two I/O threads
  TestHttpClient a(s.port);
  TestHttpClient b(s.port);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.Request("GET", "/where?a").status, 200);
    EXPECT_EQ(b.Request("GET", "/where?b").status, 200);
  }
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(threads_of[0].size(), 1u);
  ASSERT_EQ(threads_of[1].size(), 1u);
  EXPECT_NE(*threads_of[0].begin(), *threads_of[1].begin());
}

TEST(AsyncHttpServer, UnknownRouteIs404AndWrongMethodIs405) {
  Started s = StartServer({Hello()});
  TestHttpClient client(s.port);
  auto response = client.Request("GET", "/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"error":"no route for /nope"})");
  response = client.Request("POST", "/hello", "{}");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("allow"), "GET");
  EXPECT_EQ(response.body, R"({"error":"method POST not allowed for /hello"})");
  EXPECT_EQ(client.Request("GET", "/hello").status, 200);  // still usable
}

TEST(AsyncHttpServer, BodiesAboveTheLimitGet413AndACleanClose) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  Started s = StartServer({Echo()}, options);
  {
    TestHttpClient client(s.port);
    auto response = client.Request("POST", "/echo", std::string(1024, 'x'));
    EXPECT_EQ(response.status, 200);  // exactly at the limit
    response = client.Request("POST", "/echo", std::string(100000, 'x'));
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.body, R"({"error":"request body larger than the limit of 1024 bytes"})");
    EXPECT_FALSE(response.keep_alive);
    EXPECT_TRUE(client.ServerClosed());
  }
  {
    // Chunked bodies are limited as they arrive.
    TestHttpClient client(s.port);
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
    chunked += "0\r\n\r\n";
    client.SendRaw(chunked);
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 413);
    EXPECT_TRUE(client.ServerClosed());
  }
}

TEST(AsyncHttpServer, ExpectContinueGetsAnInterimResponse) {
  Started s = StartServer({Echo()});
  TestHttpClient client(s.port);
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = client.ReadResponse();
  EXPECT_EQ(interim.status, 100);
  client.SendRaw("hello");
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
}

TEST(AsyncHttpServer, MalformedHttpGets400AndAClose) {
  Started s = StartServer({Hello()});
  TestHttpClient client(s.port);
  client.SendRaw("GET /hello HTTP/1.1\r\nHost x\r\n\r\n");  // a header without ':'
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("malformed HTTP request"), std::string::npos) << response.body;
  EXPECT_TRUE(client.ServerClosed());
}

TEST(AsyncHttpServer, AHandlerThatNeverAnswersProduces500) {
  Started s = StartServer({{"GET", "/lost", [](HttpRequest, Responder) {}}});
  TestHttpClient client(s.port);
  auto response = client.Request("GET", "/lost");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"error":"the request handler produced no response"})");
}

TEST(AsyncHttpServer, StopClosesIdleConnectionsAndFinishesRequestsInFlight) {
  std::promise<Responder> held;
  Started s = StartServer({Hello(), {"GET", "/slow", [&](HttpRequest, Responder respond) { held.set_value(respond); }}});
  TestHttpClient idle(s.port);
  EXPECT_EQ(idle.Request("GET", "/hello").status, 200);
  TestHttpClient busy(s.port);
  busy.SendRaw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  Responder respond = held.get_future().get();  // the request is in flight

  std::thread stopper([&] { s.server->Stop(); });
  EXPECT_TRUE(idle.ServerClosed());  // Stop has begun: idle connections close
  respond(HttpResponse::Json(200, "{\"done\":true}"));
  auto response = busy.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"done\":true}");
  EXPECT_TRUE(busy.ServerClosed());  // and then the connection closes
  stopper.join();
  EXPECT_THROW(TestHttpClient refused(s.port), boost::system::system_error);
}

TEST(AsyncHttpServer, LogsEveryAnsweredRequest) {
  std::mutex mutex;
  std::vector<HttpRequestLogEntry> entries;
  HttpServerOptions options;
  options.max_body_bytes = 16;
  options.request_log = [&](const HttpRequestLogEntry& entry) {
    std::lock_guard<std::mutex> lock(mutex);
    entries.push_back(entry);
  };
  Started s = StartServer({Hello(), Echo()}, options);
  {
    TestHttpClient client(s.port);
    EXPECT_EQ(client.Request("GET", "/hello?x=1").status, 200);
    EXPECT_EQ(client.Request("POST", "/echo", "12345").status, 200);
    EXPECT_EQ(client.Request("GET", "/missing").status, 404);
    EXPECT_EQ(client.Request("POST", "/echo", std::string(100, 'x')).status, 413);
  }
  s.server->Stop();
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].method, "GET");
  EXPECT_EQ(entries[0].target, "/hello?x=1");
  EXPECT_EQ(entries[0].status, 200);
  EXPECT_EQ(entries[0].remote.rfind("127.0.0.1:", 0), 0u) << entries[0].remote;
  EXPECT_EQ(entries[1].request_bytes, 5u);
  EXPECT_EQ(entries[1].response_bytes, 5u);
  EXPECT_EQ(entries[2].status, 404);
  EXPECT_EQ(entries[3].status, 413);
  EXPECT_EQ(entries[3].method, "POST");  // answered before its body was read
}

TEST(AsyncHttpServer, PortInUseIsUnavailable) {
  Started first = StartServer({Hello()});
  auto router = Router::Create({Hello()});
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = first.port;
  auto second = AsyncHttpServer::Create(options, std::move(*router));
  ASSERT_TRUE(second.ok());
  Status status = (*second)->Start();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("cannot listen on 127.0.0.1:" + std::to_string(first.port)), std::string::npos)
      << status.message();
}

TEST(AsyncHttpServer, RejectsBadOptions) {
  HttpServerOptions options;
  options.threads = 0;
  EXPECT_EQ(AsyncHttpServer::Create(options, *Router::Create({Hello()})).status().code(), StatusCode::kInvalidArgument);
  options.threads = 1;
  options.address = "not-an-address";
  EXPECT_EQ(AsyncHttpServer::Create(options, *Router::Create({Hello()})).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::server
