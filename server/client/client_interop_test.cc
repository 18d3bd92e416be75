// The KServe v2 clients (and kiln perf's load generator) against Kiln's real
// HTTP and gRPC front-ends on loopback, in front of a fake service.
#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <thread>

#include "server/client/grpc_infer_pipeline.h"
#include "server/client/inference_client.h"
#include "server/grpc/grpc_server.h"
#include "server/http/http_server.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {
namespace {

// A service of its own (the front-ends' test fakes share one class name):
// "echo" returns its inputs from another thread, "busy" is overloaded,
// "loading" is not ready, everything else is unknown.
class EchoService : public InferenceService {
 public:
  ~EchoService() override {
    for (std::thread& thread : threads_) thread.join();
  }
  bool IsLive() const override { return true; }
  bool IsReady() const override { return true; }
  ServerMetadata GetServerMetadata() const override { return {"kiln", "test", {}}; }
  Result<bool> IsModelReady(const std::string& model, const std::string&) const override {
    KILN_RETURN_IF_ERROR(Check(model));
    return model == "echo";
  }
  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string&) const override {
    KILN_RETURN_IF_ERROR(Check(model));
    ModelMetadata metadata;
    metadata.name = model;
    metadata.versions = {"1"};
    metadata.platform = "onnxruntime_onnx";
    metadata.inputs = {{"INPUT0", "INT32", {-1, 16}}};
    metadata.outputs = {{"INPUT0", "INT32", {-1, 16}}};
    return metadata;
  }
  Result<std::shared_ptr<const inference::ModelConfig>> GetModelConfig(const std::string& model,
                                                                       const std::string&) const override {
    KILN_RETURN_IF_ERROR(Check(model));
    return std::shared_ptr<const inference::ModelConfig>(std::make_shared<inference::ModelConfig>());
  }
  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string&) const override {
    KILN_RETURN_IF_ERROR(Check(model));
    return std::vector<ModelStatisticsSnapshot>{stats_.Snapshot()};
  }
  std::vector<RepositoryIndexEntry> GetRepositoryIndex(bool) const override { return {}; }
  Status LoadModel(const std::string&, const LoadModelOptions&) override { return Status::Unimplemented("no"); }
  Status UnloadModel(const std::string&) override { return Status::Unimplemented("no"); }
  void Infer(InferRequest request, InferCallback done) override {
    if (request.model_name == "busy") return done(Status::ResourceExhausted("queue of model 'busy' is full (4 requests)"));
    if (request.model_name == "loading") return done(Status::Unavailable("model 'loading' is not ready"));
    if (Status status = Check(request.model_name); !status.ok()) return done(status);
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.emplace_back([request = std::move(request), done = std::move(done)] {
      InferResponse response;
      response.model_name = request.model_name;
      response.model_version = "1";
      for (const InferInput& input : request.inputs) response.outputs.push_back({input.name, input.tensor.Clone(), {}});
      done(std::move(response));
    });
  }
  ModelStatistics& stats() { return stats_; }

 private:
  static Status Check(const std::string& model) {
    if (model == "echo" || model == "loading") return Status::Ok();
    return Status::NotFound("unknown model '" + model + "'");
  }
  ModelStatistics stats_{"echo", "1"};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

class ClientInteropTest : public ::testing::TestWithParam<ClientProtocol> {
 protected:
  void SetUp() override {
    HttpServerOptions http_options;
    http_options.address = "127.0.0.1";
    http_options.port = 0;
    http_options.threads = 1;
    auto http = HttpServer::Create(http_options, service_);
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(http).value();
    ASSERT_TRUE(http_->Start().ok());
    GrpcServerOptions grpc_options;
    grpc_options.address = "127.0.0.1";
    grpc_options.port = 0;
    auto grpc = GrpcServer::Create(grpc_options, service_);
    ASSERT_TRUE(grpc.ok()) << grpc.status().ToString();
    grpc_ = std::move(grpc).value();
  }

  std::unique_ptr<InferenceClient> Client() {
    const int port = GetParam() == ClientProtocol::kHttp ? http_->port() : grpc_->port();
    auto client = InferenceClient::Create(GetParam(), "127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(client).value();
  }

  static ClientTensor Int32Input(int32_t start) {
    ClientTensor t{"INPUT0", "INT32", {1, 16}, std::string(64, '\0')};
    for (int32_t i = 0; i < 16; ++i) {
      const int32_t v = start + i;
      std::memcpy(t.data.data() + 4 * i, &v, 4);
    }
    return t;
  }

  EchoService service_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcServer> grpc_;
};

TEST_P(ClientInteropTest, ReadsMetadata) {
  auto metadata = Client()->GetModelMetadata("echo", "");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(metadata->name, "echo");
  ASSERT_EQ(metadata->inputs.size(), 1u);
  EXPECT_EQ(metadata->inputs[0].datatype, "INT32");
  EXPECT_EQ(metadata->inputs[0].shape, (std::vector<int64_t>{-1, 16}));
}

TEST_P(ClientInteropTest, InfersOverOneKeptConnection) {
  auto client = Client();
  for (int32_t round = 0; round < 3; ++round) {
    const ClientTensor input = Int32Input(round * 100);
    auto outputs = client->Infer("echo", "1", {input});
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    ASSERT_EQ(outputs->size(), 1u);
    EXPECT_EQ((*outputs)[0].name, "INPUT0");
    EXPECT_EQ((*outputs)[0].shape, input.shape);
    EXPECT_EQ((*outputs)[0].data, input.data);
  }
}

TEST_P(ClientInteropTest, MapsErrorsBack) {
  auto client = Client();
  auto busy = client->Infer("busy", "", {Int32Input(0)});
  EXPECT_EQ(busy.status().code(), StatusCode::kResourceExhausted) << busy.status().ToString();
  EXPECT_NE(busy.status().message().find("full"), std::string::npos);
  EXPECT_EQ(client->Infer("nope", "", {Int32Input(0)}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client->Infer("loading", "", {Int32Input(0)}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client->GetModelMetadata("nope", "").status().code(), StatusCode::kNotFound);
  // The connection survives errors.
  EXPECT_TRUE(client->Infer("echo", "", {Int32Input(0)}).ok());
}

TEST_P(ClientInteropTest, ReadsStatistics) {
  RequestTimings timings;
  timings.total_ns = 9000;
  timings.queue_ns = 1000;
  timings.compute_infer_ns = 5000;
  service_.stats().RecordSuccess(timings, 2);
  service_.stats().RecordExecution(2, 100, 5000, 200);
  auto stats = Client()->GetModelStatistics("echo", "1");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 1u);
  const ModelStatisticsSnapshot& s = (*stats)[0];
  EXPECT_EQ(s.name, "echo");
  EXPECT_EQ(s.version, "1");
  EXPECT_EQ(s.success.count, 1u);
  EXPECT_EQ(s.queue.ns, 1000u);
  EXPECT_EQ(s.compute_infer.ns, 5000u);
  EXPECT_EQ(s.inference_count, 2u);
  EXPECT_EQ(s.execution_count, 1u);
  EXPECT_EQ(s.batch_stats.at(2).compute_infer.ns, 5000u);
}

TEST_P(ClientInteropTest, ChecksLiveness) {
  auto live = Client()->IsServerLive();
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_TRUE(*live);
}

// The asynchronous gRPC client behind `kiln perf --async`: with a deadline
// already past, each connection sends exactly one request.
TEST(GrpcInferPipelineTest, OneRequestPerConnectionAndErrorsMapBack) {
  EchoService service;
  GrpcServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = GrpcServer::Create(options, service);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto pipeline = GrpcInferPipeline::Create("127.0.0.1:" + std::to_string((*server)->port()), 3);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().ToString();
  const ClientTensor input{"INPUT0", "INT32", {1, 16}, std::string(64, '\1')};
  for (const auto& [model, code] : {std::pair{"echo", StatusCode::kOk}, std::pair{"busy", StatusCode::kResourceExhausted},
                                    std::pair{"nope", StatusCode::kNotFound}}) {
    std::vector<StatusCode> answers;
    (*pipeline)->Run(model, "", {input}, GrpcInferPipeline::Clock::now(),
                     [&](const Status& status, GrpcInferPipeline::Clock::time_point sent,
                         GrpcInferPipeline::Clock::time_point done) {
                       EXPECT_LE(sent, done);
                       answers.push_back(status.code());
                     });
    EXPECT_EQ(answers, std::vector<StatusCode>(3, code)) << model;
  }
  EXPECT_EQ(GrpcInferPipeline::Create("127.0.0.1:1", 0).status().code(), StatusCode::kInvalidArgument);

  // Open loop: 1000/s for 20 ms is requests 0..19, however late the client
  // runs (a backlog leaves at once).
  const auto start = GrpcInferPipeline::Clock::now();
  int answered = 0;
  (*pipeline)->RunAtRate("echo", "", {input}, 1000, start, start + std::chrono::milliseconds(20),
                         [&](const Status& status, GrpcInferPipeline::Clock::time_point due,
                             GrpcInferPipeline::Clock::time_point sent, GrpcInferPipeline::Clock::time_point done) {
                           EXPECT_TRUE(status.ok()) << status.ToString();
                           EXPECT_LE(due, sent);
                           EXPECT_LE(sent, done);
                           ++answered;
                         });
  EXPECT_EQ(answered, 20);
}

TEST_P(ClientInteropTest, ConnectionRefusedIsUnavailable) {
  const std::string url = "127.0.0.1:1";
  auto client = InferenceClient::Create(GetParam(), url);
  ASSERT_TRUE(client.ok());
  auto metadata = (*client)->GetModelMetadata("echo", "");
  EXPECT_EQ(metadata.status().code(), StatusCode::kUnavailable) << metadata.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Protocols, ClientInteropTest,
                         ::testing::Values(ClientProtocol::kHttp, ClientProtocol::kGrpc),
                         [](const auto& info) { return info.param == ClientProtocol::kHttp ? "Http" : "Grpc"; });

}  // namespace
}  // namespace kiln::server
