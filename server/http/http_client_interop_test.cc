// Kiln's own KServe v2 HTTP client (server/client, used by `kiln perf`)
// against the HTTP front-end: both sides of the binary tensor data extension
// and the statistics document must agree.
#include <gtest/gtest.h>

#include "server/client/http_inference_client.h"
#include "server/http/http_server.h"
#include "server/http/testing/fake_inference_service.h"

namespace kiln::server {
namespace {

class HttpClientInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    auto server = HttpServer::Create(options, service_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
    auto client = HttpInferenceClient::Create("127.0.0.1", std::to_string(server_->port()));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  http_testing::FakeInferenceService service_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpInferenceClient> client_;
};

TEST_F(HttpClientInteropTest, MetadataStatisticsAndBinaryInference) {
  auto metadata = client_->GetModelMetadata("echo", "");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(metadata->name, "echo");
  ASSERT_EQ(metadata->inputs.size(), 1u);
  EXPECT_EQ(metadata->inputs[0].shape, (std::vector<int64_t>{-1, 16}));

  auto a = ToClientTensor("A", Tensor::FromVector<int32_t>({2, 2}, {1, -2, 3, -4}));
  auto s = ToClientTensor("S", Tensor::FromVector<std::string>({2}, {"x", std::string("\0y", 2)}));
  ASSERT_TRUE(a.ok() && s.ok());
  for (int i = 0; i < 3; ++i) {  // keep-alive: the same connection each time
    auto outputs = client_->Infer("echo", "1", {*a, *s});
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    ASSERT_EQ(outputs->size(), 2u);
    EXPECT_EQ((*outputs)[0].name, "A");
    EXPECT_EQ((*outputs)[0].datatype, "INT32");
    EXPECT_EQ((*outputs)[0].shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ((*outputs)[0].data, a->data);
    EXPECT_EQ((*outputs)[1].data, s->data);
  }

  RequestTimings timings;
  timings.total_ns = 7000;
  service_.echo_v1().RecordSuccess(timings);
  auto stats = client_->GetModelStatistics("echo", "1");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].success.count, 1u);
  EXPECT_EQ((*stats)[0].success.ns, 7000u);
}

TEST_F(HttpClientInteropTest, ErrorsMapBackToStatusCodes) {
  auto a = ToClientTensor("A", Tensor::FromVector<int32_t>({1}, {1}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(client_->Infer("nope", "", {*a}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client_->Infer("busy", "", {*a}).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(client_->Infer("loading", "", {*a}).status().code(), StatusCode::kUnavailable);
  ClientTensor truncated = *a;
  truncated.shape = {2};  // 4 bytes for 2 INT32 elements: refused (by the client or the server)
  EXPECT_EQ(client_->Infer("echo", "", {truncated}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::server
