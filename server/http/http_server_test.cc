// The KServe v2 HTTP front-end end to end over real sockets, against a fake
// InferenceService.
#include "server/http/http_server.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstring>

#include "server/http/testing/fake_inference_service.h"
#include "server/http/testing/test_http_client.h"

namespace kiln::server {
namespace {

using http_testing::FakeInferenceService;
using http_testing::TestHttpClient;
using http_testing::TestHttpResponse;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.max_body_bytes = 1 << 20;
    auto server = HttpServer::Create(options, service_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<TestHttpClient>(server_->port());
  }

  TestHttpResponse Get(const std::string& target) { return client_->Request("GET", target); }
  TestHttpResponse Post(const std::string& target, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return client_->Request("POST", target, body, headers);
  }

  FakeInferenceService service_;  // outlives the server
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<TestHttpClient> client_;
};

std::string ErrorOf(const TestHttpResponse& response) {
  rapidjson::Document document;
  document.Parse(response.body.c_str());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("error")) return "<no error: " + response.body + ">";
  return document["error"].GetString();
}

TEST_F(HttpServerTest, HealthAndServerMetadata) {
  EXPECT_EQ(Get("/v2/health/live").status, 200);
  EXPECT_EQ(Get("/v2/health/ready").status, 200);
  service_.ready = false;
  EXPECT_EQ(Get("/v2/health/ready").status, 503);
  auto response = Get("/v2");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"({"name":"kiln","version":"0.1.0","extensions":["classification","model_repository","statistics","binary_tensor_data"]})");
}

TEST_F(HttpServerTest, ModelMetadataReadinessAndConfig) {
  auto response = Get("/v2/models/echo");
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find(R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[-1,16]}])"), std::string::npos);
  EXPECT_EQ(Get("/v2/models/echo/versions/2").status, 200);
  EXPECT_EQ(Get("/v2/models/echo/ready").status, 200);
  EXPECT_EQ(Get("/v2/models/echo/versions/1/ready").status, 200);
  EXPECT_EQ(Get("/v2/models/loading/ready").status, 503);
  response = Get("/v2/models/nope/ready");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(ErrorOf(response), "unknown model 'nope'");
  EXPECT_EQ(Get("/v2/models/echo/versions/7").status, 404);
  response = Get("/v2/models/echo/versions/x1");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(ErrorOf(response), "model version 'x1' is not a positive integer");
  EXPECT_EQ(Get("/v2/models/echo/versions/0").status, 400);

  response = Get("/v2/models/echo/config");
  EXPECT_EQ(response.status, 200);
  rapidjson::Document config;
  config.Parse(response.body.c_str());
  ASSERT_FALSE(config.HasParseError()) << response.body;
  EXPECT_STREQ(config["name"].GetString(), "echo");
  EXPECT_EQ(config["max_batch_size"].GetInt(), 8);  // proto field names kept
  ASSERT_TRUE(config["input"][0]["dims"].IsArray()) << response.body;
  ASSERT_TRUE(config["input"][0]["dims"][1].IsInt64()) << response.body;  // numbers, as Triton prints int64
  EXPECT_EQ(config["input"][0]["dims"][0].GetInt64(), -1);
  EXPECT_EQ(config["input"][0]["dims"][1].GetInt64(), 16);
  EXPECT_EQ(Get("/v2/models/nope/config").status, 404);
}

TEST_F(HttpServerTest, Statistics) {
  RequestTimings timings;
  timings.total_ns = 5000;
  timings.compute_infer_ns = 4000;
  service_.echo_v1().RecordSuccess(timings);
  service_.echo_v1().RecordExecution(1, 0, 4000, 0);
  auto response = Get("/v2/models/echo/versions/1/stats");
  EXPECT_EQ(response.status, 200);
  rapidjson::Document document;
  document.Parse(response.body.c_str());
  ASSERT_TRUE(document.IsObject()) << response.body;
  ASSERT_EQ(document["model_stats"].Size(), 1u);
  const auto& model = document["model_stats"][0];
  EXPECT_STREQ(model["version"].GetString(), "1");
  EXPECT_EQ(model["inference_count"].GetUint64(), 1u);
  EXPECT_EQ(model["inference_stats"]["success"]["ns"].GetUint64(), 5000u);
  EXPECT_EQ(model["batch_stats"][0]["compute_infer"]["ns"].GetUint64(), 4000u);

  document.Parse(Get("/v2/models/echo/stats").body.c_str());
  EXPECT_EQ(document["model_stats"].Size(), 2u);
  document.Parse(Get("/v2/models/stats").body.c_str());
  EXPECT_EQ(document["model_stats"].Size(), 2u);
  EXPECT_EQ(Get("/v2/models/nope/stats").status, 404);
}

TEST_F(HttpServerTest, InferWithJsonTensors) {
  auto response = Post("/v2/models/echo/versions/1/infer",
                       R"({"id":"r7","parameters":{"priority":1,"timeout":100},)"
                       R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[2,2],"data":[[1,2],[3,4]]},)"
                       R"({"name":"S","datatype":"BYTES","shape":[1],"data":["hi"]}]})");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/json");
  EXPECT_EQ(response.body,
            R"({"model_name":"echo","model_version":"1","id":"r7","outputs":[)"
            R"({"name":"INPUT0","datatype":"INT32","shape":[2,2],"data":[1,2,3,4]},)"
            R"({"name":"S","datatype":"BYTES","shape":[1],"data":["hi"]}]})");
  EXPECT_EQ(service_.last_request.priority, 1u);
  EXPECT_EQ(service_.last_request.timeout_us, 100u);
  EXPECT_EQ(service_.last_request.model_version, "1");
  // I/O threads own their connections: the model's threads run HTTP requests.
  EXPECT_FALSE(service_.last_request.may_run_on_caller);
}

TEST_F(HttpServerTest, InferWithBinaryTensorDataInAndOut) {
  const std::string json =
      R"({"inputs":[{"name":"A","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":12}}],)"
      R"("outputs":[{"name":"A","parameters":{"binary_data":true}}]})";
  const float values[3] = {1.5f, -2.0f, 0.25f};
  const std::string binary(reinterpret_cast<const char*>(values), sizeof values);
  auto response = Post("/v2/models/echo/infer", json + binary,
                       {{"Inference-Header-Content-Length", std::to_string(json.size())},
                        {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/octet-stream");
  const size_t json_size = std::stoul(response.Header("inference-header-content-length"));
  ASSERT_LE(json_size, response.body.size());
  EXPECT_EQ(response.body.substr(0, json_size),
            R"({"model_name":"echo","model_version":"2","outputs":[{"name":"A","datatype":"FP32","shape":[3],)"
            R"("parameters":{"binary_data_size":12}}]})");
  EXPECT_EQ(response.body.substr(json_size), binary);

  // binary_data_output applies to every output.
  response = Post("/v2/models/echo/infer",
                  R"({"parameters":{"binary_data_output":true},"inputs":[{"name":"B","datatype":"INT8","shape":[2],"data":[1,-1]}]})");
  ASSERT_EQ(response.status, 200);
  const size_t size = std::stoul(response.Header("inference-header-content-length"));
  EXPECT_EQ(response.body.substr(size), std::string("\x01\xff", 2));
}

TEST_F(HttpServerTest, InferErrorsMapToStatusCodes) {
  const std::string good = R"({"inputs":[{"name":"X","datatype":"FP32","shape":[1],"data":[1]}]})";
  struct Case {
    std::string target;
    std::string body;
    int status;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"/v2/models/echo/infer", "{nope", 400, "malformed JSON in the request at offset 1: Missing a name for object member."},
      {"/v2/models/echo/infer", R"({"inputs":[{"name":"X","datatype":"FP9","shape":[1],"data":[1]}]})", 400,
       "input 'X': unknown datatype 'FP9'"},
      {"/v2/models/echo/infer", R"({"inputs":[{"name":"X","datatype":"FP32","shape":[2],"data":[1]}]})", 400,
       "input 'X': 'data' has 1 elements but shape [2] needs 2"},
      {"/v2/models/echo/infer", R"({"inputs":[{"name":"X","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[{"name":"Y"}]})",
       400, "unknown output 'Y'"},
      {"/v2/models/nope/infer", good, 404, "unknown model 'nope'"},
      {"/v2/models/echo/versions/9/infer", good, 404, "model 'echo' has no version 9"},
      {"/v2/models/loading/infer", good, 503, "model 'loading' is not ready"},
      {"/v2/models/busy/infer", good, 429, "the queue of model 'busy' is full"},
      {"/v2/models/unimpl/infer", good, 501, "sequence batching is not supported"},
      {"/v2/models/broken/infer", good, 500, "engine failure"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target + " " + c.body);
    auto response = Post(c.target, c.body);
    EXPECT_EQ(response.status, c.status);
    EXPECT_EQ(response.Header("content-type"), "application/json");
    EXPECT_EQ(ErrorOf(response), c.error);
    EXPECT_EQ(response.Header("retry-after"), c.status == 429 ? "1" : "");
    EXPECT_TRUE(response.keep_alive);  // errors do not cost the connection
  }
  // Truncated binary data.
  const std::string json = R"({"inputs":[{"name":"A","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":12}}]})";
  auto response = Post("/v2/models/echo/infer", json + "12345678",
                       {{"Inference-Header-Content-Length", std::to_string(json.size())}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(ErrorOf(response), "input 'A': binary_data_size 12 runs past the end of the body (8 bytes of binary data left)");
  EXPECT_EQ(Get("/v2/models/echo/infer").status, 405);
  response = Post("/v2/models/echo/infer", "\x1f\x8b", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(response.status, 415);
  EXPECT_EQ(ErrorOf(response), "Content-Encoding 'gzip' is not supported; send the request uncompressed");
}

TEST_F(HttpServerTest, RepositoryExtension) {
  auto response = Post("/v2/repository/index", "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body,
            R"([{"name":"echo","version":"2","state":"READY"},{"name":"loading","state":"LOADING","reason":"warming up"}])");
  response = Post("/v2/repository/index", R"({"ready":true})");
  EXPECT_EQ(response.body, R"([{"name":"echo","version":"2","state":"READY"}])");
  EXPECT_EQ(Post("/v2/repository/index", R"({"ready":"x"})").status, 400);

  EXPECT_EQ(Post("/v2/repository/models/echo/load", R"({"parameters":{"config":"{}"}})").status, 200);
  response = Post("/v2/repository/models/other/load", "");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(ErrorOf(response), "no model 'other' in the repository");
  EXPECT_EQ(Post("/v2/repository/models/echo/unload", "").status, 200);
  EXPECT_EQ(Post("/v2/repository/models/gone/unload", "").status, 404);
  EXPECT_EQ(Post("/v2/repository/models/echo/unload", "{bad").status, 400);
  EXPECT_EQ(service_.loads, (std::vector<std::string>{"echo config={}", "other"}));
  EXPECT_EQ(service_.unloads, (std::vector<std::string>{"echo", "gone"}));
}

TEST_F(HttpServerTest, UnknownRoutesAndOversizedBodies) {
  auto response = Get("/v3/anything");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(ErrorOf(response), "no route for /v3/anything");
  EXPECT_EQ(Post("/v2/health/live", "").status, 405);
  response = Post("/v2/models/echo/infer", std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(response.status, 413);
  EXPECT_TRUE(client_->ServerClosed());
}

TEST_F(HttpServerTest, StopWaitsForInferenceInFlight) {
  client_->SendRaw("POST /v2/models/hold/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 67\r\n\r\n"
                   R"({"inputs":[{"name":"X","datatype":"INT32","shape":[1],"data":[5]}]})");
  service_.WaitForHeld(1);
  std::thread stopper([&] { server_->Stop(); });
  service_.ReleaseHeld();
  auto response = client_->ReadResponse();
  stopper.join();
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find(R"("data":[5])"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace kiln::server
