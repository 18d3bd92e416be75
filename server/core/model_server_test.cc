#include "server/core/model_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <unistd.h>
#include <thread>

#include "server/core/testing/fake_scheduler.h"
#include "server/core/testing/test_repository.h"

namespace kiln::server {
namespace {

using testing::FakeScheduler;
using testing::SchedulerGate;
using testing::TestRepository;

// Runs a request and waits for its answer.
Result<InferResponse> InferSync(InferenceService& service, InferRequest request) {
  std::promise<Result<InferResponse>> promise;
  auto future = promise.get_future();
  service.Infer(std::move(request), [&promise](Result<InferResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

// Starts a request; the future resolves when it is answered.
std::future<Result<InferResponse>> InferAsync(InferenceService& service, InferRequest request) {
  auto promise = std::make_shared<std::promise<Result<InferResponse>>>();
  auto future = promise->get_future();
  service.Infer(std::move(request), [promise](Result<InferResponse> r) { promise->set_value(std::move(r)); });
  return future;
}

std::vector<int32_t> Iota(int n, int32_t start) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + i;
  return v;
}

InferRequest SimpleRequest(const std::string& model = "simple", const std::string& version = "", int64_t batch = 1) {
  InferRequest r;
  r.model_name = model;
  r.model_version = version;
  r.id = "req-1";
  r.inputs.push_back({"INPUT0", Tensor::FromVector<int32_t>({batch, 16}, Iota(static_cast<int>(16 * batch), 0)), {}});
  r.inputs.push_back({"INPUT1", Tensor::FromVector<int32_t>({batch, 16}, std::vector<int32_t>(16 * batch, 1)), {}});
  return r;
}

const InferOutput* FindOutput(const InferResponse& response, const std::string& name) {
  for (const auto& o : response.outputs) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

struct ServerFixture {
  std::unique_ptr<ModelServer> Start(const std::vector<std::string>& repos, ModelControlMode mode = ModelControlMode::kNone,
                                     std::vector<std::string> startup = {}) {
    ModelServerOptions options;
    options.repositories = repos;
    options.control_mode = mode;
    options.startup_models = std::move(startup);
    options.threads = 2;
    options.scheduler_factory = FakeScheduler::Factory(gate, gated_version);
    auto server = ModelServer::Create(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status().message();
    return server.ok() ? std::move(*server) : nullptr;
  }
  std::shared_ptr<SchedulerGate> gate = std::make_shared<SchedulerGate>();
  std::string gated_version;
};

void ExpectStatus(const Result<InferResponse>& r, StatusCode code, const std::string& fragment) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(ModelServerTest, ServesAModelWithoutConfig) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  ServerFixture f;
  auto server = f.Start({repo.path()});
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->IsLive());
  EXPECT_TRUE(server->IsReady());
  auto response = InferSync(*server, SimpleRequest("simple", "", 2));
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->model_version, "1");
  EXPECT_EQ(response->id, "req-1");
  ASSERT_EQ(response->outputs.size(), 2u);
  const auto* sum = FindOutput(*response, "OUTPUT0");
  const auto* diff = FindOutput(*response, "OUTPUT1");
  ASSERT_TRUE(sum && diff);
  EXPECT_EQ(sum->tensor.shape(), (Shape{2, 16}));
  EXPECT_EQ(sum->tensor.ToVector<int32_t>()[5], 6);
  EXPECT_EQ(diff->tensor.ToVector<int32_t>()[20], 19);

  auto config = server->GetModelConfig("simple", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ((*config)->max_batch_size(), 4);
  auto metadata = server->GetModelMetadata("simple", "");
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->platform, "onnxruntime_onnx");
  EXPECT_EQ(metadata->versions, std::vector<std::string>{"1"});
  ASSERT_EQ(metadata->inputs.size(), 2u);
  EXPECT_EQ(metadata->inputs[0].datatype, "INT32");
  EXPECT_EQ(metadata->inputs[0].shape, (std::vector<int64_t>{-1, 16}));
  auto stats = server->GetModelStatistics("simple", "");
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].success.count, 1u);
}

TEST(ModelServerTest, OnlyRequestedOutputsComeBack) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  ServerFixture f;
  auto server = f.Start({repo.path()});
  auto request = SimpleRequest();
  request.outputs.push_back({"OUTPUT1", 0, {}});
  auto response = InferSync(*server, std::move(request));
  ASSERT_TRUE(response.ok()) << response.status().message();
  ASSERT_EQ(response->outputs.size(), 1u);
  EXPECT_EQ(response->outputs[0].name, "OUTPUT1");
}

TEST(ModelServerTest, BadRequestsGetPreciseErrors) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  ServerFixture f;
  auto server = f.Start({repo.path()});
  ExpectStatus(InferSync(*server, SimpleRequest("nope")), StatusCode::kNotFound, "'nope'");
  ExpectStatus(InferSync(*server, SimpleRequest("../simple")), StatusCode::kNotFound, "../simple");
  ExpectStatus(InferSync(*server, SimpleRequest("simple", "2")), StatusCode::kNotFound, "version 2");
  ExpectStatus(InferSync(*server, SimpleRequest("simple", "x")), StatusCode::kNotFound, "version x");

  auto wrong_type = SimpleRequest();
  wrong_type.inputs[0].tensor = Tensor::FromVector<float>({1, 16}, std::vector<float>(16, 1.f));
  ExpectStatus(InferSync(*server, wrong_type), StatusCode::kInvalidArgument,
               "inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'");
  auto wrong_shape = SimpleRequest();
  wrong_shape.inputs[1].tensor = Tensor::FromVector<int32_t>({1, 15}, std::vector<int32_t>(15, 1));
  ExpectStatus(InferSync(*server, wrong_shape), StatusCode::kInvalidArgument,
               "unexpected shape for input 'INPUT1' for model 'simple'. Expected [-1,16], got [1,15]");
  auto missing = SimpleRequest();
  missing.inputs.pop_back();
  ExpectStatus(InferSync(*server, missing), StatusCode::kInvalidArgument, "'INPUT1'");
  auto unknown = SimpleRequest();
  unknown.inputs.push_back({"INPUT9", Tensor::FromVector<int32_t>({1, 16}, std::vector<int32_t>(16)), {}});
  ExpectStatus(InferSync(*server, unknown), StatusCode::kInvalidArgument, "unexpected inference input 'INPUT9'");
  auto twice = SimpleRequest();
  twice.inputs.push_back(twice.inputs[0]);
  ExpectStatus(InferSync(*server, twice), StatusCode::kInvalidArgument, "more than once");
  auto bad_output = SimpleRequest();
  bad_output.outputs.push_back({"OUTPUT7", 0, {}});
  ExpectStatus(InferSync(*server, bad_output), StatusCode::kInvalidArgument, "unexpected inference output 'OUTPUT7'");
  ExpectStatus(InferSync(*server, SimpleRequest("simple", "", 5)), StatusCode::kInvalidArgument, "batch size 5");
  auto mixed = SimpleRequest();
  mixed.inputs[1].tensor = Tensor::FromVector<int32_t>({2, 16}, std::vector<int32_t>(32));
  ExpectStatus(InferSync(*server, mixed), StatusCode::kInvalidArgument, "different batch sizes");

  auto stats = server->GetModelStatistics("simple", "1");
  ASSERT_TRUE(stats.ok());
  EXPECT_GE((*stats)[0].fail.count, 7u);
  EXPECT_EQ(server->GetModelStatistics("nope", "").status().code(), StatusCode::kNotFound);
}

TEST(ModelServerTest, Classification) {
  TestRepository repo;
  repo.AddVersion("classifier", 1, testing::TinyClassifier());
  repo.WriteFile("classifier", "labels.txt", "cat\ndog\nbird\n");
  repo.WriteConfig("classifier", R"(
max_batch_size: 2
input [ { name: "scores" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "probs" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt" } ]
)");
  ServerFixture f;
  auto server = f.Start({repo.path()});
  InferRequest request;
  request.model_name = "classifier";
  request.inputs.push_back({"scores", Tensor::FromVector<float>({2, 4}, {0.1f, 0.7f, 0.2f, 0.0f, 0.f, 0.1f, 0.3f, 0.6f}), {}});
  request.outputs.push_back({"probs", 2, {}});
  auto response = InferSync(*server, std::move(request));
  ASSERT_TRUE(response.ok()) << response.status().message();
  const Tensor& top = response->outputs[0].tensor;
  EXPECT_EQ(top.dtype(), DataType::kString);
  EXPECT_EQ(top.shape(), (Shape{2, 2}));
  const std::string* s = top.data<std::string>();
  EXPECT_EQ(s[0], "0.700000:1:dog");
  EXPECT_EQ(s[1], "0.200000:2:bird");
  EXPECT_EQ(s[2], "0.600000:3");  // no label for index 3
  EXPECT_EQ(s[3], "0.300000:2:bird");
}

TEST(ModelServerTest, ConfigReshapeIsApplied) {
  kiln::testing::ModelBuilder model;
  model.Input("x", DataType::kFloat, {-1, 2, 3}).Output("y", DataType::kFloat, {-1, 2, 3});
  model.Node("Identity", {"x"}, {"y"});
  TestRepository repo;
  repo.AddVersion("r", 1, model);
  repo.WriteConfig("r", R"(
max_batch_size: 2
input [ { name: "x" data_type: TYPE_FP32 dims: [ 6 ] reshape: { shape: [ 2, 3 ] } } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 6 ] reshape: { shape: [ 2, 3 ] } } ]
)");
  ServerFixture f;
  auto server = f.Start({repo.path()});
  InferRequest request;
  request.model_name = "r";
  request.inputs.push_back({"x", Tensor::FromVector<float>({1, 6}, {1, 2, 3, 4, 5, 6}), {}});
  auto response = InferSync(*server, std::move(request));
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->outputs[0].tensor.shape(), (Shape{1, 6}));
  EXPECT_EQ(response->outputs[0].tensor.ToVector<float>()[5], 6.f);
}

TEST(ModelServerTest, VersionsAndPolicies) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub(0));
  repo.AddVersion("simple", 2, testing::SimpleAddSub(100));
  repo.AddVersion("simple", 3, testing::SimpleAddSub(200));
  repo.WriteConfig("simple", "version_policy: { specific: { versions: [ 1, 2 ] } }");
  ServerFixture f;
  auto server = f.Start({repo.path()});
  auto newest = InferSync(*server, SimpleRequest());
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->model_version, "2");
  EXPECT_EQ(FindOutput(*newest, "OUTPUT0")->tensor.ToVector<int32_t>()[0], 101);
  auto first = InferSync(*server, SimpleRequest("simple", "1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(FindOutput(*first, "OUTPUT0")->tensor.ToVector<int32_t>()[0], 1);
  EXPECT_EQ(InferSync(*server, SimpleRequest("simple", "3")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(*server->IsModelReady("simple", "1"));
  EXPECT_EQ(server->IsModelReady("simple", "3").status().code(), StatusCode::kNotFound);
  auto index = server->GetRepositoryIndex(true);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index[0].version, "1");
  EXPECT_EQ(index[1].state, "READY");
}

TEST(ModelServerTest, BrokenModelFailsAloneAndServerIsNotReady) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.AddVersion("broken", 1, testing::SimpleAddSub());
  repo.WriteConfig("broken", "max_batch_size: 4\nbogus_field: 1\n");
  ServerFixture f;
  auto server = f.Start({repo.path()});
  ASSERT_TRUE(server);
  EXPECT_FALSE(server->IsReady());
  EXPECT_TRUE(InferSync(*server, SimpleRequest()).ok());
  ExpectStatus(InferSync(*server, SimpleRequest("broken")), StatusCode::kUnavailable, "bogus_field");
  EXPECT_FALSE(*server->IsModelReady("broken", ""));
  bool found = false;
  for (const auto& entry : server->GetRepositoryIndex(false)) {
    if (entry.name == "broken") {
      found = true;
      EXPECT_EQ(entry.state, "UNAVAILABLE");
      EXPECT_NE(entry.reason.find("config.pbtxt:2"), std::string::npos) << entry.reason;
    }
  }
  EXPECT_TRUE(found);
}

TEST(ModelServerTest, PollRollsOutAndBackWhileRequestsAreInFlight) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub(0));
  ServerFixture f;
  f.gated_version = "1";
  auto server = f.Start({repo.path()}, ModelControlMode::kPoll);
  ASSERT_TRUE(server);

  // A request to version 1 is held in flight.
  f.gate->Close();
  auto held = InferAsync(*server, SimpleRequest());
  f.gate->AwaitWaiting(1);

  // Version 2 appears: it is loaded before version 1 retires, and version 1
  // retires only after its request finishes.
  repo.AddVersion("simple", 2, testing::SimpleAddSub(100));
  auto poll = std::async(std::launch::async, [&] { return server->PollRepository(); });
  while (true) {
    auto ready = server->IsModelReady("simple", "2");
    if (ready.ok() && *ready) break;
    std::this_thread::yield();
  }
  auto during = InferSync(*server, SimpleRequest());
  ASSERT_TRUE(during.ok()) << during.status().message();
  EXPECT_EQ(during->model_version, "2");
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  f.gate->Open();
  auto held_result = held.get();
  ASSERT_TRUE(held_result.ok()) << held_result.status().message();
  EXPECT_EQ(held_result->model_version, "1");
  EXPECT_TRUE(poll.get().ok());
  EXPECT_EQ(server->IsModelReady("simple", "1").status().code(), StatusCode::kNotFound);

  // A broken version 3 leaves version 2 serving.
  repo.WriteFile("simple", "3/model.onnx", "not an onnx model");
  EXPECT_FALSE(server->PollRepository().ok());
  auto after_broken = InferSync(*server, SimpleRequest());
  ASSERT_TRUE(after_broken.ok());
  EXPECT_EQ(after_broken->model_version, "2");
  EXPECT_TRUE(server->IsReady());
  EXPECT_TRUE(server->PollRepository().ok());  // the same broken files are not retried
  bool reason_kept = false;
  for (const auto& e : server->GetRepositoryIndex(false)) reason_kept |= e.name == "simple" && e.version == "2";
  EXPECT_TRUE(reason_kept);

  // Removing the newer folders rolls back to version 1.
  repo.RemoveVersion("simple", 3);
  repo.RemoveVersion("simple", 2);
  EXPECT_TRUE(server->PollRepository().ok());
  auto rolled_back = InferSync(*server, SimpleRequest());
  ASSERT_TRUE(rolled_back.ok());
  EXPECT_EQ(rolled_back->model_version, "1");

  // A changed config reloads; a removed model unloads.
  repo.WriteConfig("simple", "max_batch_size: 2");
  EXPECT_TRUE(server->PollRepository().ok());
  EXPECT_EQ((*server->GetModelConfig("simple", ""))->max_batch_size(), 2);
  repo.RemoveModel("simple");
  EXPECT_TRUE(server->PollRepository().ok());
  EXPECT_EQ(InferSync(*server, SimpleRequest()).status().code(), StatusCode::kNotFound);
}

TEST(ModelServerTest, ExplicitModeLoadsAndUnloadsOnRequest) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.AddVersion("classifier", 1, testing::TinyClassifier());
  ServerFixture f;
  auto server = f.Start({repo.path()}, ModelControlMode::kExplicit, {"classifier"});
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->IsReady());
  EXPECT_EQ(InferSync(*server, SimpleRequest()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server->LoadModel("../simple", {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server->LoadModel("nope", {}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(server->LoadModel("simple", {}).ok());
  EXPECT_TRUE(InferSync(*server, SimpleRequest()).ok());

  // A config given with the load request replaces config.pbtxt.
  LoadModelOptions options;
  options.config_json = R"({"max_batch_size": 1})";
  ASSERT_TRUE(server->LoadModel("simple", options).ok());
  EXPECT_EQ((*server->GetModelConfig("simple", ""))->max_batch_size(), 1);
  options.config_json = R"({"max_batch_size": 1, "input": [{"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [16]}]})";
  EXPECT_FALSE(server->LoadModel("simple", options).ok());
  EXPECT_TRUE(InferSync(*server, SimpleRequest()).ok());  // still serving the previous load

  ASSERT_TRUE(server->UnloadModel("simple").ok());
  EXPECT_EQ(InferSync(*server, SimpleRequest()).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(server->IsReady());
  bool unloaded = false;
  for (const auto& e : server->GetRepositoryIndex(false)) unloaded |= e.name == "simple" && e.reason == "unloaded";
  EXPECT_TRUE(unloaded);
}

TEST(ModelServerTest, RepositoryApiNeedsExplicitMode) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  ServerFixture f;
  auto server = f.Start({repo.path()});
  EXPECT_EQ(server->LoadModel("simple", {}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(server->UnloadModel("simple").code(), StatusCode::kUnavailable);
}

TEST(ModelServerTest, ShutdownFinishesRequestsInFlight) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  ServerFixture f;
  auto server = f.Start({repo.path()});
  f.gate->Close();
  auto held = InferAsync(*server, SimpleRequest());
  f.gate->AwaitWaiting(1);
  auto shutdown = std::async(std::launch::async, [&] { server->Shutdown(); });
  while (server->IsReady()) std::this_thread::yield();
  EXPECT_EQ(InferSync(*server, SimpleRequest()).status().code(), StatusCode::kUnavailable);
  f.gate->Open();
  EXPECT_TRUE(held.get().ok());
  shutdown.get();
  EXPECT_FALSE(server->IsLive());
}

TEST(ModelServerTest, InstancesShareTheCores) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.WriteConfig("simple", "instance_group [ { count: 2 kind: KIND_CPU } ]");
  std::vector<int> threads;
  ModelServerOptions options;
  options.repositories = {repo.path()};
  options.threads = 4;
  options.scheduler_factory =
      FakeScheduler::Factory(nullptr, "", [&](const SchedulerOptions&, const std::vector<std::shared_ptr<const Session>>& s) {
        for (const auto& session : s) threads.push_back(session->threads());
      });
  auto server = ModelServer::Create(std::move(options));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(threads, (std::vector<int>{2, 2}));
}

TEST(ModelServerTest, WarmupRunsBeforeReady) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.AddVersion("badwarm", 1, testing::SimpleAddSub());
  const std::string warmup = R"(
max_batch_size: 4
model_warmup [ { name: "zeros" batch_size: 2 count: 2
  inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } }
  inputs { key: "INPUT1" value: { data_type: TYPE_INT32 dims: [ 16 ] random_data: true } } } ]
)";
  repo.WriteConfig("simple", warmup);
  repo.WriteConfig("badwarm", R"(
max_batch_size: 4
model_warmup [ { name: "short" batch_size: 1
  inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } } } ]
)");
  ServerFixture f;
  auto server = f.Start({repo.path()});
  EXPECT_TRUE(*server->IsModelReady("simple", ""));
  EXPECT_FALSE(*server->IsModelReady("badwarm", ""));
  bool reason = false;
  for (const auto& e : server->GetRepositoryIndex(false)) {
    reason |= e.name == "badwarm" && e.reason.find("model_warmup 'short'") != std::string::npos;
  }
  EXPECT_TRUE(reason);
}

}  // namespace
}  // namespace kiln::server

namespace kiln::server {
namespace {

// The checked-in example repository loads completely and answers.
TEST(ExampleRepositoryTest, EveryExampleModelServes) {
  ServerFixture f;
  auto server = f.Start({std::string(KILN_SOURCE_DIR) + "/examples/model_repository"});
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->IsReady());
  for (const char* model : {"simple", "simple_auto"}) {
    auto response = InferSync(*server, SimpleRequest(model, "", 3));
    ASSERT_TRUE(response.ok()) << model << ": " << response.status().message();
    EXPECT_EQ(FindOutput(*response, "OUTPUT0")->tensor.ToVector<int32_t>()[17], 18) << model;
  }
  EXPECT_EQ((*server->GetModelConfig("simple", ""))->max_batch_size(), 8);
  EXPECT_EQ((*server->GetModelConfig("simple_auto", ""))->max_batch_size(), 4);

  InferRequest request;
  request.model_name = "tiny_classifier";
  request.inputs.push_back({"features", Tensor::FromVector<float>({1, 16}, std::vector<float>(16, 0.5f)), {}});
  request.outputs.push_back({"probabilities", 1, {}});
  auto response = InferSync(*server, std::move(request));
  ASSERT_TRUE(response.ok()) << response.status().message();
  const std::string top = response->outputs[0].tensor.data<std::string>()[0];
  EXPECT_TRUE(top.find(":apple") != std::string::npos || top.find(":banana") != std::string::npos ||
              top.find(":cherry") != std::string::npos || top.find(":date") != std::string::npos)
      << top;
}

}  // namespace
}  // namespace kiln::server

namespace kiln::server {
namespace {

// With the real scheduler (dynamic batching, two instances), concurrent
// requests each get their own answer.
TEST(ModelServerSchedulerTest, ConcurrentRequestsThroughTheRealScheduler) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.WriteConfig("simple", R"(
max_batch_size: 8
instance_group [ { count: 2 } ]
dynamic_batching { max_queue_delay_microseconds: 2000 }
)");
  ModelServerOptions options;
  options.repositories = {repo.path()};
  options.threads = 2;
  auto server = ModelServer::Create(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status().message();
  ASSERT_TRUE((*server)->IsReady());
  std::vector<std::future<Result<InferResponse>>> pending;
  for (int i = 0; i < 32; ++i) {
    InferRequest r;
    r.model_name = "simple";
    r.inputs.push_back({"INPUT0", Tensor::FromVector<int32_t>({1, 16}, std::vector<int32_t>(16, i)), {}});
    r.inputs.push_back({"INPUT1", Tensor::FromVector<int32_t>({1, 16}, std::vector<int32_t>(16, 1)), {}});
    pending.push_back(InferAsync(**server, std::move(r)));
  }
  for (int i = 0; i < 32; ++i) {
    auto response = pending[static_cast<size_t>(i)].get();
    ASSERT_TRUE(response.ok()) << response.status().message();
    EXPECT_EQ(FindOutput(*response, "OUTPUT0")->tensor.ToVector<int32_t>(), std::vector<int32_t>(16, i + 1));
    EXPECT_EQ(FindOutput(*response, "OUTPUT1")->tensor.shape(), (Shape{1, 16}));
  }
  auto stats = (*server)->GetModelStatistics("simple", "1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)[0].inference_count, 32u);
}

}  // namespace
}  // namespace kiln::server

namespace kiln::server {
namespace {

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Unloading gives the memory back: repeated load/unload cycles of a model
// with 4 MB of weights leave the resident size where it was after a few.
TEST(ModelServerMemoryTest, LoadUnloadCyclesDoNotGrowMemory) {
  kiln::testing::ModelBuilder model;
  model.Input("x", DataType::kFloat, {-1, 1024}).Output("y", DataType::kFloat, {-1, 1024});
  model.Initializer("w", std::vector<float>(1024 * 1024, 0.5f), {1024, 1024});
  model.Node("MatMul", {"x", "w"}, {"y"});
  TestRepository repo;
  repo.AddVersion("big", 1, model);
  ServerFixture f;
  auto server = f.Start({repo.path()}, ModelControlMode::kExplicit);
  ASSERT_TRUE(server);
  auto cycle = [&] {
    ASSERT_TRUE(server->LoadModel("big", {}).ok());
    InferRequest r;
    r.model_name = "big";
    r.inputs.push_back({"x", Tensor::FromVector<float>({1, 1024}, std::vector<float>(1024, 1.f)), {}});
    auto response = InferSync(*server, std::move(r));
    ASSERT_TRUE(response.ok()) << response.status().message();
    EXPECT_EQ(response->outputs[0].tensor.ToVector<float>()[7], 512.f);
    ASSERT_TRUE(server->UnloadModel("big").ok());
  };
  for (int i = 0; i < 3; ++i) cycle();
  const size_t settled = ResidentBytes();
  for (int i = 0; i < 15; ++i) cycle();
  const size_t after = ResidentBytes();
  // A leak of the weights would add 15 x 4 MB.
  EXPECT_LT(after, settled + (16u << 20)) << "resident grew from " << settled << " to " << after;
}

}  // namespace
}  // namespace kiln::server
