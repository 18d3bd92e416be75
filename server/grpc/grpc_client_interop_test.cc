// Kiln's own gRPC client (server/client, used by `kiln perf`) against the
// gRPC server: both built from server/proto/grpc_service.proto, exercised
// over a real loopback connection.
#include <gtest/gtest.h>

#include <cstring>

#include "server/client/grpc_inference_client.h"
#include "server/grpc/grpc_server.h"
#include "server/grpc/testing/fake_inference_service.h"

namespace kiln::server {
namespace {

class GrpcClientInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GrpcServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    auto server = GrpcServer::Create(options, fake_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto client = GrpcInferenceClient::Create("127.0.0.1", std::to_string(server_->port()));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  grpc_testing::FakeInferenceService fake_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<GrpcInferenceClient> client_;
};

TEST_F(GrpcClientInteropTest, RawInferenceRoundTrips) {
  const float values[] = {1.5f, -2.0f, 0.25f, 8.0f};
  ClientTensor x{"x", "FP32", {2, 2}, std::string(reinterpret_cast<const char*>(values), sizeof(values))};
  ClientTensor s{"s", "BYTES", {1}, std::string("\x03\0\0\0abc", 7)};
  auto outputs = client_->Infer("echo", "", {x, s});
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[0].name, "x");
  EXPECT_EQ((*outputs)[0].datatype, "FP32");
  EXPECT_EQ((*outputs)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*outputs)[0].data, x.data);
  EXPECT_EQ((*outputs)[1].data, s.data);
}

TEST_F(GrpcClientInteropTest, MetadataStatisticsAndErrors) {
  auto metadata = client_->GetModelMetadata("echo", "");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(metadata->platform, "onnxruntime_onnx");
  ASSERT_EQ(metadata->inputs.size(), 1u);
  EXPECT_EQ(metadata->inputs[0].shape, (std::vector<int64_t>{-1, 16}));

  auto stats = client_->GetModelStatistics("echo", "");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].inference_count, 12u);
  EXPECT_EQ((*stats)[0].compute_infer.ns, 3000u);

  EXPECT_EQ(client_->GetModelMetadata("nope", "").status().code(), StatusCode::kNotFound);
  ClientTensor x{"x", "INT32", {1}, std::string(4, '\0')};
  EXPECT_EQ(client_->Infer("busy", "", {x}).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(client_->Infer("unavailable", "", {x}).status().code(), StatusCode::kUnavailable);
  ClientTensor short_x{"x", "INT32", {2}, std::string(4, '\0')};
  auto bad = client_->Infer("echo", "", {short_x});
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace kiln::server
