// GrpcServer end to end: a real server on an ephemeral loopback port, a fake
// InferenceService behind it, and the generated stub as the client.
#include "server/grpc/grpc_server.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <thread>

#include "server/grpc/testing/fake_inference_service.h"
#include "server/proto/grpc_service.grpc.pb.h"

namespace kiln::server {
namespace {

using inference::GRPCInferenceService;
using inference::InferTensorContents;
using inference::ModelInferRequest;
using inference::ModelInferResponse;
using grpc_testing::FakeInferenceService;

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(size_t{1} << 20); }

  void StartServer(size_t max_message_bytes) {
    GrpcServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.max_message_bytes = max_message_bytes;
    auto server = GrpcServer::Create(options, fake_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    ::grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);
    channel_ = ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                           ::grpc::InsecureChannelCredentials(), arguments);
    stub_ = GRPCInferenceService::NewStub(channel_);
  }

  ::grpc::Status Infer(const ModelInferRequest& request, ModelInferResponse* response) {
    ::grpc::ClientContext context;
    return stub_->ModelInfer(&context, request, response);
  }

  FakeInferenceService fake_;  // outlives server_
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<::grpc::Channel> channel_;
  std::unique_ptr<GRPCInferenceService::Stub> stub_;
};

ModelInferRequest EchoRequest(const std::string& model = "echo") {
  ModelInferRequest request;
  request.set_model_name(model);
  request.set_id("r1");
  return request;
}

ModelInferRequest::InferInputTensor* AddInput(ModelInferRequest* request, const std::string& name,
                                              const std::string& datatype, std::vector<int64_t> shape) {
  auto* input = request->add_inputs();
  input->set_name(name);
  input->set_datatype(datatype);
  for (int64_t d : shape) input->add_shape(d);
  return input;
}

TEST_F(GrpcServerTest, HealthAndMetadata) {
  {
    ::grpc::ClientContext context;
    inference::ServerLiveResponse response;
    ASSERT_TRUE(stub_->ServerLive(&context, {}, &response).ok());
    EXPECT_TRUE(response.live());
  }
  fake_.set_ready(false);
  {
    ::grpc::ClientContext context;
    inference::ServerReadyResponse response;
    ASSERT_TRUE(stub_->ServerReady(&context, {}, &response).ok());
    EXPECT_FALSE(response.ready());
  }
  {
    ::grpc::ClientContext context;
    inference::ServerMetadataResponse response;
    ASSERT_TRUE(stub_->ServerMetadata(&context, {}, &response).ok());
    EXPECT_EQ(response.name(), "kiln");
    EXPECT_EQ(response.extensions_size(), 3);
  }
  {
    ::grpc::ClientContext context;
    inference::ModelReadyRequest request;
    request.set_name("loading");
    inference::ModelReadyResponse response;
    ASSERT_TRUE(stub_->ModelReady(&context, request, &response).ok());
    EXPECT_FALSE(response.ready());
  }
  {
    ::grpc::ClientContext context;
    inference::ModelReadyRequest request;
    request.set_name("echo");
    request.set_version("2");
    inference::ModelReadyResponse response;
    ASSERT_TRUE(stub_->ModelReady(&context, request, &response).ok());
    EXPECT_TRUE(response.ready());
  }
  {
    ::grpc::ClientContext context;
    inference::ModelMetadataRequest request;
    request.set_name("echo");
    inference::ModelMetadataResponse response;
    ASSERT_TRUE(stub_->ModelMetadata(&context, request, &response).ok());
    EXPECT_EQ(response.platform(), "onnxruntime_onnx");
    EXPECT_EQ(response.versions_size(), 2);
    ASSERT_EQ(response.inputs_size(), 1);
    EXPECT_EQ(response.inputs(0).datatype(), "INT32");
    EXPECT_EQ(response.inputs(0).shape(0), -1);
    EXPECT_EQ(response.outputs(0).name(), "OUTPUT0");
  }
}

TEST_F(GrpcServerTest, UnknownModelOrVersionIsNotFound) {
  {
    ::grpc::ClientContext context;
    inference::ModelReadyRequest request;
    request.set_name("nope");
    inference::ModelReadyResponse response;
    EXPECT_EQ(stub_->ModelReady(&context, request, &response).error_code(), ::grpc::StatusCode::NOT_FOUND);
  }
  {
    ::grpc::ClientContext context;
    inference::ModelMetadataRequest request;
    request.set_name("echo");
    request.set_version("9");
    inference::ModelMetadataResponse response;
    EXPECT_EQ(stub_->ModelMetadata(&context, request, &response).error_code(), ::grpc::StatusCode::NOT_FOUND);
  }
  {
    ::grpc::ClientContext context;
    inference::ModelConfigRequest request;
    request.set_name("nope");
    inference::ModelConfigResponse response;
    EXPECT_EQ(stub_->ModelConfig(&context, request, &response).error_code(), ::grpc::StatusCode::NOT_FOUND);
  }
  ModelInferRequest request = EchoRequest("nope");
  AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(1);
  ModelInferResponse response;
  const ::grpc::Status status = Infer(request, &response);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "unknown model 'nope'");

  // An unknown model is reported as such even when the request is also
  // malformed (here: an input without data), as HTTP's 404 does.
  ModelInferRequest malformed = EchoRequest("nope");
  AddInput(&malformed, "x", "INT32", {1});
  const ::grpc::Status malformed_status = Infer(malformed, &response);
  EXPECT_EQ(malformed_status.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(malformed_status.error_message(), "unknown model 'nope'");
  // For a known model the decoding error stays.
  ModelInferRequest known_malformed = EchoRequest("echo");
  AddInput(&known_malformed, "x", "INT32", {1});
  EXPECT_EQ(Infer(known_malformed, &response).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcServerTest, ConfigStatisticsAndRepository) {
  {
    ::grpc::ClientContext context;
    inference::ModelConfigRequest request;
    request.set_name("echo");
    inference::ModelConfigResponse response;
    ASSERT_TRUE(stub_->ModelConfig(&context, request, &response).ok());
    EXPECT_EQ(response.config().name(), "echo");
    EXPECT_EQ(response.config().max_batch_size(), 8);
  }
  {
    ::grpc::ClientContext context;
    inference::ModelStatisticsRequest request;
    request.set_name("echo");
    inference::ModelStatisticsResponse response;
    ASSERT_TRUE(stub_->ModelStatistics(&context, request, &response).ok());
    ASSERT_EQ(response.model_stats_size(), 1);
    const inference::ModelStatistics& s = response.model_stats(0);
    EXPECT_EQ(s.name(), "echo");
    EXPECT_EQ(s.version(), "2");
    EXPECT_EQ(s.last_inference(), 1700000000000u);
    EXPECT_EQ(s.inference_count(), 12u);
    EXPECT_EQ(s.execution_count(), 3u);
    EXPECT_EQ(s.inference_stats().success().count(), 10u);
    EXPECT_EQ(s.inference_stats().fail().ns(), 700u);
    EXPECT_EQ(s.inference_stats().queue().ns(), 100u);
    EXPECT_EQ(s.inference_stats().compute_infer().ns(), 3000u);
    ASSERT_EQ(s.batch_stats_size(), 2);
    EXPECT_EQ(s.batch_stats(0).batch_size(), 1u);
    EXPECT_EQ(s.batch_stats(0).compute_infer().count(), 2u);
    EXPECT_EQ(s.batch_stats(1).batch_size(), 4u);
    EXPECT_EQ(s.batch_stats(1).compute_output().ns(), 100u);
  }
  {
    ::grpc::ClientContext context;
    inference::ModelStatisticsRequest request;
    request.set_name("nope");
    inference::ModelStatisticsResponse response;
    EXPECT_EQ(stub_->ModelStatistics(&context, request, &response).error_code(), ::grpc::StatusCode::NOT_FOUND);
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryIndexRequest request;
    inference::RepositoryIndexResponse response;
    ASSERT_TRUE(stub_->RepositoryIndex(&context, request, &response).ok());
    ASSERT_EQ(response.models_size(), 2);
    EXPECT_EQ(response.models(1).state(), "UNAVAILABLE");
    EXPECT_EQ(response.models(1).reason(), "config.pbtxt: unknown field 'foo'");
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryIndexRequest request;
    request.set_ready(true);
    inference::RepositoryIndexResponse response;
    ASSERT_TRUE(stub_->RepositoryIndex(&context, request, &response).ok());
    EXPECT_EQ(response.models_size(), 1);
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryModelLoadRequest request;
    request.set_model_name("echo");
    (*request.mutable_parameters())["config"].set_string_param("{\"max_batch_size\": 4}");
    inference::RepositoryModelLoadResponse response;
    ASSERT_TRUE(stub_->RepositoryModelLoad(&context, request, &response).ok());
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryModelLoadRequest request;
    request.set_model_name("invalid");
    inference::RepositoryModelLoadResponse response;
    const ::grpc::Status status = stub_->RepositoryModelLoad(&context, request, &response);
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "config for 'invalid': bad field");
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryModelLoadRequest request;
    request.set_model_name("echo");
    (*request.mutable_parameters())["file:1/model.onnx"].set_bytes_param("onnx");
    inference::RepositoryModelLoadResponse response;
    EXPECT_EQ(stub_->RepositoryModelLoad(&context, request, &response).error_code(),
              ::grpc::StatusCode::UNIMPLEMENTED);
  }
  EXPECT_EQ(fake_.loads(), (std::vector<std::string>{"echo config={\"max_batch_size\": 4}", "invalid"}));
  {
    ::grpc::ClientContext context;
    inference::RepositoryModelUnloadRequest request;
    request.set_model_name("echo");
    inference::RepositoryModelUnloadResponse response;
    ASSERT_TRUE(stub_->RepositoryModelUnload(&context, request, &response).ok());
  }
  {
    ::grpc::ClientContext context;
    inference::RepositoryModelUnloadRequest request;
    request.set_model_name("nope");
    inference::RepositoryModelUnloadResponse response;
    EXPECT_EQ(stub_->RepositoryModelUnload(&context, request, &response).error_code(),
              ::grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(fake_.unloads(), (std::vector<std::string>{"echo", "nope"}));
}

TEST_F(GrpcServerTest, UnsupportedExtensionsAreUnimplemented) {
  {
    ::grpc::ClientContext context;
    inference::SystemSharedMemoryRegisterResponse response;
    EXPECT_EQ(stub_->SystemSharedMemoryRegister(&context, {}, &response).error_code(),
              ::grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    ::grpc::ClientContext context;
    inference::CudaSharedMemoryStatusResponse response;
    EXPECT_EQ(stub_->CudaSharedMemoryStatus(&context, {}, &response).error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    ::grpc::ClientContext context;
    inference::TraceSettingResponse response;
    EXPECT_EQ(stub_->TraceSetting(&context, {}, &response).error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    ::grpc::ClientContext context;
    inference::LogSettingsResponse response;
    EXPECT_EQ(stub_->LogSettings(&context, {}, &response).error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  }
}

// Fills `contents` with three values of `datatype`'s list.
void FillTypedContents(const std::string& datatype, InferTensorContents* c) {
  if (datatype == "BOOL") {
    for (bool v : {true, false, true}) c->add_bool_contents(v);
  } else if (datatype == "INT8" || datatype == "INT16" || datatype == "INT32") {
    for (int v : {-100, 0, 100}) c->add_int_contents(v);
  } else if (datatype == "INT64") {
    for (int64_t v : {-(1LL << 40), 0LL, 1LL << 40}) c->add_int64_contents(v);
  } else if (datatype == "UINT8" || datatype == "UINT16" || datatype == "UINT32") {
    for (uint32_t v : {0u, 7u, 200u}) c->add_uint_contents(v);
  } else if (datatype == "UINT64") {
    for (uint64_t v : {0ULL, 1ULL << 63, 5ULL}) c->add_uint64_contents(v);
  } else if (datatype == "FP32") {
    for (float v : {-1.5f, 0.0f, 3.25f}) c->add_fp32_contents(v);
  } else if (datatype == "FP64") {
    for (double v : {-1e300, 0.0, 1e-300}) c->add_fp64_contents(v);
  } else if (datatype == "BYTES") {
    for (const char* v : {"a", "", "xyz"}) c->add_bytes_contents(v);
  }
}

TEST_F(GrpcServerTest, EveryDatatypeRoundTripsAsTypedContents) {
  for (const char* datatype :
       {"BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP32", "FP64", "BYTES"}) {
    ModelInferRequest request = EchoRequest();
    FillTypedContents(datatype, AddInput(&request, "x", datatype, {1, 3})->mutable_contents());
    ModelInferResponse response;
    const ::grpc::Status status = Infer(request, &response);
    ASSERT_TRUE(status.ok()) << datatype << ": " << status.error_message();
    EXPECT_EQ(response.id(), "r1");
    EXPECT_EQ(response.model_version(), "2");
    EXPECT_EQ(response.raw_output_contents_size(), 0) << datatype;
    ASSERT_EQ(response.outputs_size(), 1);
    EXPECT_EQ(response.outputs(0).datatype(), datatype);
    EXPECT_EQ(response.outputs(0).shape_size(), 2);
    EXPECT_EQ(response.outputs(0).contents().SerializeAsString(), request.inputs(0).contents().SerializeAsString())
        << datatype;
  }
}

TEST_F(GrpcServerTest, EveryDatatypeRoundTripsAsRawContents) {
  const std::pair<const char*, int> fixed_size[] = {{"BOOL", 1},   {"INT8", 1},   {"INT16", 2},  {"INT32", 4},
                                                    {"INT64", 8},  {"UINT8", 1},  {"UINT16", 2}, {"UINT32", 4},
                                                    {"UINT64", 8}, {"FP16", 2},   {"BF16", 2},   {"FP32", 4},
                                                    {"FP64", 8}};
  for (const auto& [datatype, size] : fixed_size) {
    ModelInferRequest request = EchoRequest();
    AddInput(&request, "x", datatype, {2, 2});
    std::string raw(static_cast<size_t>(4 * size), '\0');
    for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(std::string(datatype) == "BOOL" ? i % 2 : i * 7);
    request.add_raw_input_contents(raw);
    ModelInferResponse response;
    const ::grpc::Status status = Infer(request, &response);
    ASSERT_TRUE(status.ok()) << datatype << ": " << status.error_message();
    ASSERT_EQ(response.raw_output_contents_size(), 1) << datatype;
    EXPECT_EQ(response.raw_output_contents(0), raw) << datatype;
    EXPECT_EQ(response.outputs(0).datatype(), datatype);
    EXPECT_FALSE(response.outputs(0).has_contents());
  }
  ModelInferRequest request = EchoRequest();
  AddInput(&request, "s", "BYTES", {2});
  const std::string raw("\x03\0\0\0abc\x01\0\0\0z", 12);
  request.add_raw_input_contents(raw);
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_EQ(response.raw_output_contents(0), raw);
}

TEST_F(GrpcServerTest, BadTensorsAreInvalidArgument) {
  ModelInferRequest request = EchoRequest();
  AddInput(&request, "x", "FP32", {2, 2});
  request.add_raw_input_contents(std::string(12, '\0'));
  ModelInferResponse response;
  ::grpc::Status status = Infer(request, &response);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("needs 16"), std::string::npos) << status.error_message();

  request = EchoRequest();
  AddInput(&request, "x", "FP16", {1})->mutable_contents()->add_fp32_contents(1.0f);
  EXPECT_EQ(Infer(request, &response).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);

  request = EchoRequest();
  AddInput(&request, "x", "INT32", {-2})->mutable_contents()->add_int_contents(1);
  EXPECT_EQ(Infer(request, &response).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);

  request = EchoRequest();
  AddInput(&request, "x", "COMPLEX", {1})->mutable_contents()->add_int_contents(1);
  EXPECT_EQ(Infer(request, &response).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fake_.infer_calls(), 0);  // none of these reached the service
}

TEST_F(GrpcServerTest, ServiceErrorsMapToGrpcCodes) {
  const std::pair<const char*, ::grpc::StatusCode> cases[] = {
      {"invalid", ::grpc::StatusCode::INVALID_ARGUMENT},
      {"unavailable", ::grpc::StatusCode::UNAVAILABLE},
      {"busy", ::grpc::StatusCode::RESOURCE_EXHAUSTED},
      {"unimplemented", ::grpc::StatusCode::UNIMPLEMENTED},
      {"broken", ::grpc::StatusCode::INTERNAL},
  };
  for (const auto& [model, code] : cases) {
    ModelInferRequest request = EchoRequest(model);
    AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(1);
    ModelInferResponse response;
    EXPECT_EQ(Infer(request, &response).error_code(), code) << model;
  }
}

TEST_F(GrpcServerTest, RequestedOutputsAndSchedulingParametersReachTheService) {
  ModelInferRequest request = EchoRequest();
  request.set_model_version("1");
  (*request.mutable_parameters())["priority"].set_int64_param(1);
  (*request.mutable_parameters())["timeout"].set_int64_param(250);
  AddInput(&request, "a", "INT32", {1})->mutable_contents()->add_int_contents(1);
  AddInput(&request, "b", "INT32", {1})->mutable_contents()->add_int_contents(2);
  auto* output = request.add_outputs();
  output->set_name("b");
  (*output->mutable_parameters())["classification"].set_int64_param(2);
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  const InferRequest seen = fake_.last_request();
  EXPECT_EQ(seen.model_version, "1");
  EXPECT_EQ(seen.priority, 1u);
  EXPECT_EQ(seen.timeout_us, 250u);
  ASSERT_EQ(seen.outputs.size(), 1u);
  EXPECT_EQ(seen.outputs[0].classification, 2u);
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "b");
  EXPECT_EQ(response.model_version(), "1");
}

TEST_F(GrpcServerTest, AcceptsCompressedRequests) {
  // tritonclient's compression_algorithm="gzip" / "deflate".
  for (grpc_compression_algorithm algorithm : {GRPC_COMPRESS_GZIP, GRPC_COMPRESS_DEFLATE}) {
    ModelInferRequest request = EchoRequest();
    AddInput(&request, "x", "UINT8", {4096});
    request.add_raw_input_contents(std::string(4096, 'k'));
    ::grpc::ClientContext context;
    context.set_compression_algorithm(algorithm);
    ModelInferResponse response;
    const ::grpc::Status status = stub_->ModelInfer(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.raw_output_contents(0), std::string(4096, 'k'));
  }
}

TEST_F(GrpcServerTest, OversizedRequestsAreRejectedByGrpc) {
  ModelInferRequest request = EchoRequest();
  AddInput(&request, "x", "UINT8", {2 << 20});
  request.add_raw_input_contents(std::string(2 << 20, '\x01'));
  ModelInferResponse response;
  EXPECT_EQ(Infer(request, &response).error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(fake_.infer_calls(), 0);
  // The server keeps serving.
  request = EchoRequest();
  AddInput(&request, "x", "UINT8", {4});
  request.add_raw_input_contents("abcd");
  EXPECT_TRUE(Infer(request, &response).ok());
}

TEST_F(GrpcServerTest, StreamInferAnswersEveryRequest) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  constexpr int kRequests = 6;
  for (int i = 0; i < kRequests; ++i) {
    ModelInferRequest request = EchoRequest(i == 2 ? "nope" : (i == 4 ? "busy" : "echo"));
    request.set_id("s" + std::to_string(i));
    if (i == 5) {
      AddInput(&request, "x", "INT32", {2})->mutable_contents()->add_int_contents(1);  // one element short
    } else {
      AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(i);
    }
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::map<std::string, inference::ModelStreamInferResponse> by_id;
  inference::ModelStreamInferResponse response;
  while (stream->Read(&response)) by_id[response.infer_response().id()] = response;
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kRequests));
  for (int i : {0, 1, 3}) {
    const auto& r = by_id["s" + std::to_string(i)];
    EXPECT_TRUE(r.error_message().empty()) << r.error_message();
    ASSERT_EQ(r.infer_response().outputs_size(), 1);
    EXPECT_EQ(r.infer_response().outputs(0).contents().int_contents(0), i);
  }
  EXPECT_EQ(by_id["s2"].error_message(), "unknown model 'nope'");
  EXPECT_EQ(by_id["s4"].error_message(), "queue of 'busy' is full");
  EXPECT_NE(by_id["s5"].error_message().find("int_contents holds 1 elements"), std::string::npos);
}

TEST_F(GrpcServerTest, StreamInferAnswersRequestsOutOfOrder) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  ModelInferRequest slow = EchoRequest("deferred");
  slow.set_id("slow");
  AddInput(&slow, "x", "INT32", {1})->mutable_contents()->add_int_contents(1);
  ASSERT_TRUE(stream->Write(slow));
  fake_.WaitForDeferred(1);
  ModelInferRequest fast = EchoRequest();
  fast.set_id("fast");
  AddInput(&fast, "x", "INT32", {1})->mutable_contents()->add_int_contents(2);
  ASSERT_TRUE(stream->Write(fast));
  inference::ModelStreamInferResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.infer_response().id(), "fast");  // not held up by "slow"
  fake_.ReleaseDeferred();
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.infer_response().id(), "slow");
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GrpcServerTest, CancelledStreamWaitsForItsRequestsInFlight) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  ModelInferRequest request = EchoRequest("deferred");
  AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(1);
  ASSERT_TRUE(stream->Write(request));
  fake_.WaitForDeferred(1);
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), ::grpc::StatusCode::CANCELLED);
  fake_.ReleaseDeferred();  // the answer arrives after the cancellation: dropped
  server_->Stop();          // returns once the stream's reactor is done
}

TEST_F(GrpcServerTest, StopEndsIdleStreamsAtTheDeadline) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  ModelInferRequest request = EchoRequest();
  AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(5);
  ASSERT_TRUE(stream->Write(request));
  inference::ModelStreamInferResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.infer_response().outputs(0).contents().int_contents(0), 5);
  server_->Stop(std::chrono::milliseconds(50));  // the client never closes its side
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_FALSE(stream->Finish().ok());
}

TEST_F(GrpcServerTest, StopFinishesRequestsInFlight) {
  ModelInferRequest request = EchoRequest("deferred");
  AddInput(&request, "x", "INT32", {1})->mutable_contents()->add_int_contents(41);
  ::grpc::ClientContext context;
  ModelInferResponse response;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  ::grpc::Status status;
  stub_->async()->ModelInfer(&context, &request, &response, [&](::grpc::Status s) {
    std::lock_guard<std::mutex> lock(mutex);
    status = std::move(s);
    done = true;
    done_cv.notify_all();
  });
  fake_.WaitForDeferred(1);
  std::thread stopper([this] { server_->Stop(std::chrono::seconds(30)); });
  fake_.ReleaseDeferred();
  stopper.join();
  {
    std::unique_lock<std::mutex> lock(mutex);
    done_cv.wait(lock, [&] { return done; });
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.outputs(0).contents().int_contents(0), 41);

  // Stopped: new calls fail, a second Stop is harmless.
  server_->Stop();
  ::grpc::ClientContext late;
  late.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  inference::ServerLiveResponse live;
  EXPECT_FALSE(stub_->ServerLive(&late, {}, &live).ok());
}

TEST(GrpcServerCreate, RejectsBadPortsAndBusyAddresses) {
  FakeInferenceService fake;
  GrpcServerOptions options;
  options.address = "127.0.0.1";
  options.port = 70000;
  EXPECT_EQ(GrpcServer::Create(options, fake).status().code(), StatusCode::kInvalidArgument);
  options.port = 0;
  auto first = GrpcServer::Create(options, fake);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  options.port = (*first)->port();
  auto second = GrpcServer::Create(options, fake);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kiln::server
