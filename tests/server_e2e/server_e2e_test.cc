// End to end: the shipped `kiln serve` binary as Triton's users meet it —
// a real process on ephemeral loopback ports, talked to over real HTTP and
// gRPC connections. Covers health, metadata, inference (JSON, binary
// tensor extension, classification), every error class with its status and
// body, the repository API (explicit mode), roll-out and roll-back in poll
// mode under a steady stream of requests, /metrics, JSON logs, and SIGTERM
// with requests in flight.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/core/testing/test_repository.h"
#include "server/http/testing/test_http_client.h"
#include "server/proto/grpc_service.grpc.pb.h"
#include "tests/server_e2e/serve_process.h"
#include "tests/support/model_builder.h"

namespace kiln::testing {
namespace {

using server::http_testing::TestHttpClient;
using server::http_testing::TestHttpResponse;
using server::testing::TestRepository;
using namespace std::chrono_literals;

const std::filesystem::path kExamples = std::filesystem::path(KILN_SOURCE_DIR) / "examples" / "model_repository";

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  return document;
}

// {"error": "..."} with a non-empty message.
std::string ErrorOf(const TestHttpResponse& response) {
  auto doc = ParseJson(response.body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("error") || !doc["error"].IsString()) {
    ADD_FAILURE() << "not an error body: " << response.body;
    return "";
  }
  return doc["error"].GetString();
}

void CopyExample(const TestRepository& repo, const std::string& model) {
  std::filesystem::copy(kExamples / model, std::filesystem::path(repo.path()) / model,
                        std::filesystem::copy_options::recursive);
}

// y = x + version: tells which version answered.
ModelBuilder VersionTaggedModel(int version) {
  ModelBuilder model;
  model.Input("x", DataType::kFloat, {-1, 1}).Output("y", DataType::kFloat, {-1, 1});
  model.Initializer("c", {static_cast<float>(version)}, {1});
  model.Node("Add", {"x", "c"}, {"y"});
  return model;
}

std::string SimpleInferJson(int a, int b) {
  std::ostringstream body;
  body << R"({"inputs":[)";
  for (int input = 0; input < 2; ++input) {
    body << (input ? "," : "") << R"({"name":"INPUT)" << input << R"(","datatype":"INT32","shape":[1,16],"data":[)";
    for (int i = 0; i < 16; ++i) body << (i ? "," : "") << (input == 0 ? a + i : b);
    body << "]}";
  }
  body << "]}";
  return body.str();
}

// One started server, shared by the tests of a suite.
std::unique_ptr<ServeProcess> StartServer(std::vector<std::string> args, bool wait_ready = true) {
  auto server = std::make_unique<ServeProcess>(std::move(args));
  std::string error;
  if (!server->WaitForPorts(30s, &error)) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  if (wait_ready && !server->WaitForReady(30s)) {
    ADD_FAILURE() << "never ready; log:\n" << server->Log();
    return nullptr;
  }
  return server;
}

std::unique_ptr<inference::GRPCInferenceService::Stub> GrpcStub(uint16_t port) {
  return inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

void Deadline(grpc::ClientContext& context) { context.set_deadline(std::chrono::system_clock::now() + 10s); }

// ---------------------------------------------------------------------------
// Mode none: examples/model_repository, JSON logs, a small body limit.

class ServeNoneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    repo_ = new TestRepository;
    CopyExample(*repo_, "simple");
    CopyExample(*repo_, "tiny_classifier");
    server_ = StartServer({"--model-repository", repo_->path(), "--log-format", "json", "--log-verbose", "1",
                           "--http-max-body-bytes", "65536", "--threads", "2"})
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete repo_;
    server_ = nullptr;
    repo_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static TestRepository* repo_;
  static ServeProcess* server_;
};
TestRepository* ServeNoneTest::repo_ = nullptr;
ServeProcess* ServeNoneTest::server_ = nullptr;

TEST_F(ServeNoneTest, HealthAndMetadataOverHttp) {
  TestHttpClient http(server_->http_port());
  EXPECT_EQ(http.Request("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(http.Request("GET", "/v2/health/ready").status, 200);
  EXPECT_EQ(http.Request("GET", "/v2/models/simple/ready").status, 200);
  EXPECT_EQ(http.Request("GET", "/v2/models/simple/versions/1/ready").status, 200);

  auto server = http.Request("GET", "/v2");
  ASSERT_EQ(server.status, 200);
  auto doc = ParseJson(server.body);
  ASSERT_TRUE(doc.IsObject()) << server.body;
  EXPECT_STREQ(doc["name"].GetString(), "kiln");
  EXPECT_TRUE(doc["version"].IsString());
  ASSERT_TRUE(doc["extensions"].IsArray());
  bool has_binary = false;
  for (const auto& e : doc["extensions"].GetArray()) has_binary |= std::string(e.GetString()) == "binary_tensor_data";
  EXPECT_TRUE(has_binary) << server.body;

  auto model = http.Request("GET", "/v2/models/simple");
  ASSERT_EQ(model.status, 200);
  doc = ParseJson(model.body);
  EXPECT_STREQ(doc["name"].GetString(), "simple");
  EXPECT_STREQ(doc["platform"].GetString(), "onnxruntime_onnx");
  ASSERT_EQ(doc["inputs"].Size(), 2u);
  EXPECT_STREQ(doc["inputs"][0]["name"].GetString(), "INPUT0");
  EXPECT_STREQ(doc["inputs"][0]["datatype"].GetString(), "INT32");
  EXPECT_EQ(doc["inputs"][0]["shape"][0].GetInt(), -1);
  EXPECT_EQ(doc["inputs"][0]["shape"][1].GetInt(), 16);
  ASSERT_EQ(doc["outputs"].Size(), 2u);

  auto config = http.Request("GET", "/v2/models/simple/config");
  ASSERT_EQ(config.status, 200);
  doc = ParseJson(config.body);
  EXPECT_EQ(doc["max_batch_size"].GetInt(), 8);
  ASSERT_TRUE(doc["input"][0]["dims"][0].IsInt64()) << "dims must be JSON numbers as in Triton: " << config.body;
  EXPECT_EQ(doc["input"][0]["dims"][0].GetInt64(), 16);
}

TEST_F(ServeNoneTest, InferJsonAndBinaryTensors) {
  TestHttpClient http(server_->http_port());
  auto reply = http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(10, 3));
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto doc = ParseJson(reply.body);
  ASSERT_TRUE(doc.IsObject()) << reply.body;
  EXPECT_STREQ(doc["model_name"].GetString(), "simple");
  EXPECT_STREQ(doc["model_version"].GetString(), "1");
  ASSERT_EQ(doc["outputs"].Size(), 2u);
  for (const auto& output : doc["outputs"].GetArray()) {
    const bool sum = std::string(output["name"].GetString()) == "OUTPUT0";
    EXPECT_STREQ(output["datatype"].GetString(), "INT32");
    ASSERT_EQ(output["data"].Size(), 16u);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(output["data"][i].GetInt(), sum ? 10 + i + 3 : 10 + i - 3);
  }

  // Binary tensor extension both ways: raw INT32 inputs, OUTPUT0 as binary.
  std::vector<int32_t> a(16), b(16);
  for (int i = 0; i < 16; ++i) a[i] = i * 2, b[i] = 1;
  const std::string header =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}},)"
      R"({"name":"INPUT1","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}],)"
      R"("outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}},{"name":"OUTPUT1"}]})";
  std::string body = header;
  body.append(reinterpret_cast<const char*>(a.data()), 64);
  body.append(reinterpret_cast<const char*>(b.data()), 64);
  reply = http.Request("POST", "/v2/models/simple/versions/1/infer", body,
                       {{"Inference-Header-Content-Length", std::to_string(header.size())},
                        {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  const std::string length = reply.Header("inference-header-content-length");
  ASSERT_FALSE(length.empty());
  const size_t json_size = std::stoul(length);
  ASSERT_EQ(reply.body.size(), json_size + 64);
  doc = ParseJson(reply.body.substr(0, json_size));
  ASSERT_TRUE(doc.IsObject());
  for (const auto& output : doc["outputs"].GetArray()) {
    if (std::string(output["name"].GetString()) == "OUTPUT0") {
      EXPECT_EQ(output["parameters"]["binary_data_size"].GetInt(), 64);
    } else {
      ASSERT_EQ(output["data"].Size(), 16u);
      EXPECT_EQ(output["data"][5].GetInt(), 9);
    }
  }
  std::vector<int32_t> sum(16);
  std::memcpy(sum.data(), reply.body.data() + json_size, 64);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(sum[i], 2 * i + 1);
}

TEST_F(ServeNoneTest, Classification) {
  TestHttpClient http(server_->http_port());
  std::ostringstream body;
  body << R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,16],"data":[)";
  for (int i = 0; i < 16; ++i) body << (i ? "," : "") << 0.1 * i;
  body << R"(]}],"outputs":[{"name":"probabilities","parameters":{"classification":2}}]})";
  auto reply = http.Request("POST", "/v2/models/tiny_classifier/infer", body.str());
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto doc = ParseJson(reply.body);
  const auto& output = doc["outputs"][0];
  EXPECT_STREQ(output["datatype"].GetString(), "BYTES");
  ASSERT_EQ(output["data"].Size(), 2u);
  const std::regex entry(R"([0-9.eE+-]+:[0-3]:(apple|banana|cherry|date))");
  for (const auto& value : output["data"].GetArray()) {
    EXPECT_TRUE(std::regex_match(std::string(value.GetString()), entry)) << value.GetString();
  }
}

TEST_F(ServeNoneTest, ErrorsHaveTheStatusAndBodyClientsExpect) {
  TestHttpClient http(server_->http_port());
  struct Case {
    const char* what;
    std::string target;
    std::string body;
    int status;
  };
  const std::string wrong_dtype =
      R"({"inputs":[{"name":"INPUT0","datatype":"FP32","shape":[1,16],"data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]},)"
      R"({"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]})";
  const std::string wrong_shape =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,4],"data":[0,0,0,0]},)"
      R"({"name":"INPUT1","datatype":"INT32","shape":[1,4],"data":[0,0,0,0]}]})";
  const std::string unknown_input =
      R"({"inputs":[{"name":"NOPE","datatype":"INT32","shape":[1,16],"data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]})";
  const std::vector<Case> cases = {
      {"malformed JSON", "/v2/models/simple/infer", R"({"inputs":[{)", 400},
      {"wrong datatype", "/v2/models/simple/infer", wrong_dtype, 400},
      {"wrong shape", "/v2/models/simple/infer", wrong_shape, 400},
      {"unknown input", "/v2/models/simple/infer", unknown_input, 400},
      {"unknown model", "/v2/models/nope/infer", SimpleInferJson(0, 0), 404},
      {"unknown version", "/v2/models/simple/versions/7/infer", SimpleInferJson(0, 0), 404},
      {"path escape", "/v2/models/..%2Fx/infer", SimpleInferJson(0, 0), 404},
  };
  for (const auto& c : cases) {
    auto reply = http.Request("POST", c.target, c.body);
    EXPECT_EQ(reply.status, c.status) << c.what << ": " << reply.body;
    EXPECT_FALSE(ErrorOf(reply).empty()) << c.what;
  }
  EXPECT_EQ(http.Request("GET", "/v2/models/nope").status, 404);
  EXPECT_EQ(http.Request("GET", "/v2/models/simple/versions/7").status, 404);

  // Binary data shorter than the header announces.
  const std::string header =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}},)"
      R"({"name":"INPUT1","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}]})";
  auto truncated = http.Request("POST", "/v2/models/simple/infer", header + std::string(70, '\0'),
                                {{"Inference-Header-Content-Length", std::to_string(header.size())}});
  EXPECT_EQ(truncated.status, 400) << truncated.body;
  EXPECT_FALSE(ErrorOf(truncated).empty());

  // A body above --http-max-body-bytes: 413 and a clean close.
  TestHttpClient big(server_->http_port());
  auto oversized = big.Request("POST", "/v2/models/simple/infer", std::string(100000, ' '));
  EXPECT_EQ(oversized.status, 413);
  EXPECT_FALSE(ErrorOf(oversized).empty());

  // The server is still fine.
  EXPECT_EQ(TestHttpClient(server_->http_port()).Request("POST", "/v2/models/simple/infer", SimpleInferJson(1, 1)).status,
            200);
}

TEST_F(ServeNoneTest, DotDotModelNamesNeverReachTheFileSystem) {
  // Mode none refuses the repository API; a ../x name is refused whatever
  // the mode (see the explicit-mode test for the load path).
  TestHttpClient http(server_->http_port());
  auto reply = http.Request("GET", "/v2/models/..%2F..%2Fetc/config");
  EXPECT_EQ(reply.status, 404) << reply.body;
}

TEST_F(ServeNoneTest, GrpcEndToEnd) {
  auto stub = GrpcStub(server_->grpc_port());
  {
    grpc::ClientContext context;
    Deadline(context);
    inference::ServerReadyResponse response;
    ASSERT_TRUE(stub->ServerReady(&context, {}, &response).ok());
    EXPECT_TRUE(response.ready());
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    inference::ServerMetadataResponse response;
    ASSERT_TRUE(stub->ServerMetadata(&context, {}, &response).ok());
    EXPECT_EQ(response.name(), "kiln");
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    inference::ModelMetadataRequest request;
    request.set_name("simple");
    inference::ModelMetadataResponse response;
    ASSERT_TRUE(stub->ModelMetadata(&context, request, &response).ok());
    ASSERT_EQ(response.inputs_size(), 2);
    EXPECT_EQ(response.inputs(0).datatype(), "INT32");
  }
  // Raw contents.
  inference::ModelInferRequest request;
  request.set_model_name("simple");
  for (const char* name : {"INPUT0", "INPUT1"}) {
    auto* input = request.add_inputs();
    input->set_name(name);
    input->set_datatype("INT32");
    input->add_shape(1);
    input->add_shape(16);
    std::vector<int32_t> values(16, std::string(name) == "INPUT0" ? 5 : 2);
    request.add_raw_input_contents(std::string(reinterpret_cast<const char*>(values.data()), 64));
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    inference::ModelInferResponse response;
    auto status = stub->ModelInfer(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.outputs_size(), 2);
    ASSERT_EQ(response.raw_output_contents_size(), 2);
    for (int o = 0; o < 2; ++o) {
      int32_t first = 0;
      std::memcpy(&first, response.raw_output_contents(o).data(), 4);
      EXPECT_EQ(first, response.outputs(o).name() == "OUTPUT0" ? 7 : 3);
    }
  }
  // Errors map to the matching codes.
  auto code_of = [&](inference::ModelInferRequest r) {
    grpc::ClientContext context;
    Deadline(context);
    inference::ModelInferResponse response;
    return stub->ModelInfer(&context, r, &response).error_code();
  };
  auto unknown = request;
  unknown.set_model_name("nope");
  EXPECT_EQ(code_of(unknown), grpc::StatusCode::NOT_FOUND);
  auto bad_version = request;
  bad_version.set_model_version("9");
  EXPECT_EQ(code_of(bad_version), grpc::StatusCode::NOT_FOUND);
  auto short_raw = request;
  short_raw.set_raw_input_contents(0, std::string(10, '\0'));
  EXPECT_EQ(code_of(short_raw), grpc::StatusCode::INVALID_ARGUMENT);
  auto wrong_dtype = request;
  wrong_dtype.mutable_inputs(0)->set_datatype("FP32");
  EXPECT_EQ(code_of(wrong_dtype), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServeNoneTest, MetricsAndStatisticsCountRequests) {
  TestHttpClient http(server_->http_port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(i, 1)).status, 200);
  ASSERT_EQ(http.Request("POST", "/v2/models/simple/infer", R"({"inputs":[]})").status, 400);

  auto stats = http.Request("GET", "/v2/models/simple/stats");
  ASSERT_EQ(stats.status, 200);
  auto doc = ParseJson(stats.body);
  ASSERT_TRUE(doc.IsObject()) << stats.body;
  const auto& model = doc["model_stats"][0];
  EXPECT_STREQ(model["name"].GetString(), "simple");
  EXPECT_GE(model["inference_stats"]["success"]["count"].GetUint64(), 3u);
  EXPECT_GE(model["inference_count"].GetUint64(), 3u);

  TestHttpClient metrics(server_->metrics_port());
  auto reply = metrics.Request("GET", "/metrics");
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.Header("content-type").find("text/plain"), std::string::npos);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(reply.body, match,
                                std::regex(R"(nv_inference_request_success\{model="simple",version="1"\} ([0-9]+))")))
      << reply.body;
  EXPECT_GE(std::stoi(match[1].str()), 3);
  EXPECT_TRUE(std::regex_search(reply.body, match,
                                std::regex(R"(nv_inference_request_failure\{model="simple",version="1"\} ([0-9]+))")));
  for (const char* family : {"# TYPE nv_inference_count counter", "nv_inference_compute_infer_duration_us{",
                             "kiln_inference_request_duration_seconds_bucket{", "process_resident_memory_bytes "}) {
    EXPECT_NE(reply.body.find(family), std::string::npos) << family;
  }
}

TEST_F(ServeNoneTest, JsonLogLinesParse) {
  TestHttpClient http(server_->http_port());
  ASSERT_EQ(http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(0, 0)).status, 200);
  std::this_thread::sleep_for(200ms);  // let the request line reach the file
  std::istringstream log(server_->Log());
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    if (line.empty()) continue;
    ++lines;
    auto doc = ParseJson(line);
    EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << line;
    EXPECT_TRUE(doc.IsObject()) << line;
  }
  EXPECT_GE(lines, 4);
}

// ---------------------------------------------------------------------------
// Explicit mode: the repository API.

TEST(ServeExplicitTest, RepositoryApiLoadsUnloadsAndIndexes) {
  TestRepository repo;
  CopyExample(repo, "simple");
  CopyExample(repo, "tiny_classifier");
  auto server = StartServer({"--model-repository", repo.path(), "--model-control-mode", "explicit", "--load-model",
                             "simple", "--threads", "2"});
  ASSERT_NE(server, nullptr);
  TestHttpClient http(server->http_port());

  auto index = http.Request("POST", "/v2/repository/index", "{}");
  ASSERT_EQ(index.status, 200);
  auto doc = ParseJson(index.body);
  ASSERT_TRUE(doc.IsArray()) << index.body;
  std::map<std::string, std::string> states;
  for (const auto& entry : doc.GetArray()) {
    states[entry["name"].GetString()] = entry.HasMember("state") ? entry["state"].GetString() : "";
  }
  EXPECT_EQ(states["simple"], "READY") << index.body;
  EXPECT_NE(states["tiny_classifier"], "READY") << index.body;

  auto not_loaded = http.Request("GET", "/v2/models/tiny_classifier/ready");
  EXPECT_NE(not_loaded.status, 200);

  EXPECT_EQ(http.Request("POST", "/v2/repository/models/tiny_classifier/load", "").status, 200);
  EXPECT_EQ(http.Request("GET", "/v2/models/tiny_classifier/ready").status, 200);
  EXPECT_EQ(http.Request("POST", "/v2/repository/models/simple/unload", "").status, 200);
  auto after_unload = http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(0, 0));
  EXPECT_TRUE(after_unload.status == 404 || after_unload.status == 503) << after_unload.status;
  EXPECT_FALSE(ErrorOf(after_unload).empty());

  auto missing = http.Request("POST", "/v2/repository/models/nope/load", "");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_FALSE(ErrorOf(missing).empty());
  auto escape = http.Request("POST", "/v2/repository/models/..%2Fx/load", "");
  EXPECT_EQ(escape.status / 100, 4) << escape.body;
  EXPECT_FALSE(ErrorOf(escape).empty());

  // gRPC's repository rpcs agree.
  auto stub = GrpcStub(server->grpc_port());
  grpc::ClientContext context;
  Deadline(context);
  inference::RepositoryModelLoadRequest load;
  load.set_model_name("simple");
  inference::RepositoryModelLoadResponse loaded;
  ASSERT_TRUE(stub->RepositoryModelLoad(&context, load, &loaded).ok());
  EXPECT_EQ(http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(0, 0)).status, 200);
}

// A model the server was told to load that fails: server not ready (503),
// the broken model answers 503, the good one serves.
TEST(ServeNotReadyTest, FailedRequiredModelMakesServerNotReady) {
  TestRepository repo;
  CopyExample(repo, "simple");
  repo.WriteFile("broken", "1/model.onnx", "this is not an onnx model");
  auto server = StartServer({"--model-repository", repo.path(), "--threads", "2"}, /*wait_ready=*/false);
  ASSERT_NE(server, nullptr);
  TestHttpClient http(server->http_port());
  // Loading happens before the ports open, so the state is final here.
  EXPECT_EQ(http.Request("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(http.Request("GET", "/v2/health/ready").status, 503);
  auto broken = http.Request("POST", "/v2/models/broken/infer", SimpleInferJson(0, 0));
  EXPECT_EQ(broken.status, 503) << broken.body;
  EXPECT_FALSE(ErrorOf(broken).empty());
  EXPECT_EQ(http.Request("POST", "/v2/models/simple/infer", SimpleInferJson(0, 0)).status, 200);
}

// ---------------------------------------------------------------------------
// Poll mode: roll-out and roll-back under a steady stream of requests.

// Sends requests to "tagged" (no version) until stopped; counts failures and
// remembers the highest version seen last.
class SteadyTraffic {
 public:
  explicit SteadyTraffic(uint16_t port) : thread_([this, port] { Run(port); }) {}
  ~SteadyTraffic() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int failures() const { return failures_; }
  int requests() const { return requests_; }
  std::string first_failure() const { return first_failure_; }

 private:
  void Run(uint16_t port) {
    try {
      TestHttpClient http(port);
      while (!stop_) {
        auto reply = http.Request("POST", "/v2/models/tagged/infer",
                                  R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,1],"data":[0]}]})");
        ++requests_;
        if (reply.status != 200) {
          if (failures_++ == 0) first_failure_ = std::to_string(reply.status) + " " + reply.body;
        }
        std::this_thread::sleep_for(5ms);
      }
    } catch (const std::exception& e) {
      ++failures_;
      first_failure_ = e.what();
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::atomic<int> requests_{0};
  std::string first_failure_;
  std::thread thread_;
};

// The version that answers a request without a version: y - x.
int ServingVersion(uint16_t port) {
  TestHttpClient http(port);
  auto reply = http.Request("POST", "/v2/models/tagged/infer",
                            R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,1],"data":[0]}]})");
  if (reply.status != 200) return -reply.status;
  auto doc = ParseJson(reply.body);
  return static_cast<int>(doc["outputs"][0]["data"][0].GetDouble());
}

bool WaitForVersion(uint16_t port, int version, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ServingVersion(port) == version) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(ServePollTest, RollOutRollBackAndBrokenVersionUnderTraffic) {
  TestRepository repo;
  repo.AddVersion("tagged", 1, VersionTaggedModel(1));
  auto server = StartServer({"--model-repository", repo.path(), "--model-control-mode", "poll",
                             "--repository-poll-secs", "1", "--threads", "2"});
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->http_port();
  ASSERT_EQ(ServingVersion(port), 1);
  SteadyTraffic traffic(port);

  repo.AddVersion("tagged", 2, VersionTaggedModel(2));
  EXPECT_TRUE(WaitForVersion(port, 2, 20s)) << "v2 never served; log:\n" << server->Log();

  repo.WriteFile("tagged", "3/model.onnx", "broken bytes, not a model");
  std::this_thread::sleep_for(2500ms);  // two poll rounds
  EXPECT_EQ(ServingVersion(port), 2);

  repo.RemoveVersion("tagged", 3);
  repo.RemoveVersion("tagged", 2);
  EXPECT_TRUE(WaitForVersion(port, 1, 20s)) << "no roll-back to v1; log:\n" << server->Log();

  traffic.Stop();
  EXPECT_GT(traffic.requests(), 10);
  EXPECT_EQ(traffic.failures(), 0) << traffic.first_failure();
}

// ---------------------------------------------------------------------------
// SIGTERM while requests are in flight: every request gets an answer, exit 0.

TEST(ServeShutdownTest, SigtermFinishesRequestsInFlightAndExitsZero) {
  TestRepository repo;
  // A model slow enough that requests are in flight when SIGTERM arrives.
  ModelBuilder slow;
  // 4 x 512 through 300 MatMuls with 512 x 512 weights of 1/512 (values stay 1).
  constexpr int kLayers = 300;
  slow.Input("x", DataType::kFloat, {-1, 512}).Output("y", DataType::kFloat, {-1, 512});
  slow.Initializer("w", std::vector<float>(512 * 512, 1.0f / 512), {512, 512});
  std::string previous = "x";
  for (int i = 0; i < kLayers; ++i) {
    const std::string next = "h" + std::to_string(i);
    slow.Node("MatMul", {previous, "w"}, {i == kLayers - 1 ? "y" : next});
    previous = next;
  }
  repo.AddVersion("slow", 1, slow);
  auto server = StartServer({"--model-repository", repo.path(), "--threads", "2", "--exit-timeout-secs", "20",
                             "--log-verbose", "1"});
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->http_port();

  std::ostringstream body;
  body << R"({"inputs":[{"name":"x","datatype":"FP32","shape":[4,512],"data":[)";
  for (int i = 0; i < 4 * 512; ++i) body << (i ? ",1" : "1");
  body << "]}]}";
  const std::string request = body.str();

  std::atomic<int> started{0};
  std::vector<std::future<std::string>> replies;
  for (int c = 0; c < 4; ++c) {
    replies.push_back(std::async(std::launch::async, [&]() -> std::string {
      TestHttpClient http(port);
      ++started;
      try {
        auto reply = http.Request("POST", "/v2/models/slow/infer", request);
        return std::to_string(reply.status) + (reply.status == 200 ? "" : " " + reply.body);
      } catch (const std::exception& e) {
        return e.what();
      }
    }));
  }
  while (started < 4) std::this_thread::sleep_for(1ms);
  // The first answer is logged: the four requests were sent together, the
  // others are queued or running now (one instance serves them in turn).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (server->Log().find("infer model='slow'") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  server->SendSignal(SIGTERM);
  for (auto& reply : replies) EXPECT_EQ(reply.get(), "200");
  EXPECT_EQ(server->WaitForExit(30s), 0) << server->Log();
  const std::string log = server->Log();
  const size_t signal_line = log.find("received SIGTERM");
  ASSERT_NE(signal_line, std::string::npos) << log;
  // The point of the test: some of the requests were still being served
  // when the signal came (their per-request log lines follow it).
  EXPECT_NE(log.find("infer model='slow'", signal_line), std::string::npos) << "no request was in flight at SIGTERM:\n" << log;
}

}  // namespace
}  // namespace kiln::testing
