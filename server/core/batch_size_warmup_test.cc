#include "server/core/batch_size_warmup.h"

#include <gtest/gtest.h>

#include <google/protobuf/text_format.h>

#include "server/core/model_server.h"
#include "server/core/testing/fake_scheduler.h"
#include "server/core/testing/test_repository.h"

namespace kiln::server {
namespace {

using testing::FakeScheduler;
using testing::TestRepository;

// Loads `repo` and returns how many memory plans each instance of `model`
// holds once it is loaded (one per distinct input shape run so far).
std::vector<size_t> PlansAfterLoad(const TestRepository& repo, const std::string& model, bool warmup = true) {
  std::vector<size_t> plans;
  std::vector<std::shared_ptr<const Session>> sessions;
  ModelServerOptions options;
  options.repositories = {repo.path()};
  options.threads = 2;
  options.batch_size_warmup = warmup;
  options.scheduler_factory = FakeScheduler::Factory(
      nullptr, "", [&](const SchedulerOptions& o, const std::vector<std::shared_ptr<const Session>>& s) {
        if (o.model_name == model) sessions = s;
      });
  auto server = ModelServer::Create(std::move(options));
  EXPECT_TRUE(server.ok());
  if (!server.ok()) return plans;
  EXPECT_TRUE(*(*server)->IsModelReady(model, ""));
  for (const auto& s : sessions) plans.push_back(s->cached_memory_plans());
  return plans;
}

// FP32 X [-1,-1] -> Y (identity): its second dimension is variable.
kiln::testing::ModelBuilder VariableIdentity() {
  kiln::testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, -1}).Output("Y", DataType::kFloat, {-1, -1});
  b.Node("Identity", {"X"}, {"Y"});
  return b;
}

TEST(BatchSizeWarmupTest, DynamicBatchingWarmsEveryBatchSize) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.WriteConfig("simple", "max_batch_size: 5\ndynamic_batching { }\ninstance_group [ { count: 2 } ]");
  EXPECT_EQ(PlansAfterLoad(repo, "simple"), (std::vector<size_t>{5, 5}));
}

TEST(BatchSizeWarmupTest, OffWithoutDynamicBatchingOrWhenSwitchedOff) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.WriteConfig("simple", "max_batch_size: 5");
  EXPECT_EQ(PlansAfterLoad(repo, "simple"), (std::vector<size_t>{0}));
  repo.WriteConfig("simple", "max_batch_size: 5\ndynamic_batching { }");
  EXPECT_EQ(PlansAfterLoad(repo, "simple", /*warmup=*/false), (std::vector<size_t>{0}));
}

TEST(BatchSizeWarmupTest, ExtendsEachModelWarmupSampleToEveryBatchSize) {
  TestRepository repo;
  repo.AddVersion("var", 1, VariableIdentity());
  repo.WriteConfig("var", R"(
max_batch_size: 3
dynamic_batching { }
model_warmup [
  { name: "short" batch_size: 2 inputs { key: "X" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } } },
  { name: "long" batch_size: 1 inputs { key: "X" value: { data_type: TYPE_FP32 dims: [ 9 ] random_data: true } } } ]
)");
  // 3 batch sizes x 2 sequence lengths.
  EXPECT_EQ(PlansAfterLoad(repo, "var"), (std::vector<size_t>{6}));
}

TEST(BatchSizeWarmupTest, VariableDimsWithoutSampleAreLeftAlone) {
  TestRepository repo;
  repo.AddVersion("var", 1, VariableIdentity());
  repo.WriteConfig("var", "max_batch_size: 3\ndynamic_batching { }");
  EXPECT_EQ(PlansAfterLoad(repo, "var"), (std::vector<size_t>{0}));

  inference::ModelConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"(max_batch_size: 3 dynamic_batching { } input [ { name: "X" data_type: TYPE_FP32 dims: [ -1 ] } ])", &config));
  auto warmed = WarmBatchSizes(config, repo.ModelDir("var"), {});
  ASSERT_TRUE(warmed.ok());
  EXPECT_EQ(warmed->max_batch_size, 0u);
  EXPECT_NE(warmed->skipped.find("input 'X' has variable dims"), std::string::npos) << warmed->skipped;
}

TEST(BatchSizeWarmupTest, MemoryPlansLeaveRoomForTheWarmedShapes) {
  inference::ModelConfig config;
  config.set_max_batch_size(32);
  EXPECT_EQ(MemoryPlansFor(config, 16), 16);  // no batcher: unchanged
  config.mutable_dynamic_batching();
  EXPECT_EQ(MemoryPlansFor(config, 16), 48);
  config.add_model_warmup();
  config.add_model_warmup();
  EXPECT_EQ(MemoryPlansFor(config, 16), 80);
  config.set_max_batch_size(kMaxWarmedBatchSize + 1);  // not warmed: unchanged
  EXPECT_EQ(MemoryPlansFor(config, 16), 16);
}

TEST(BatchSizeWarmupTest, LargeMaxBatchSizeIsNotWarmed) {
  TestRepository repo;
  repo.AddVersion("simple", 1, testing::SimpleAddSub());
  repo.WriteConfig("simple", "max_batch_size: " + std::to_string(kMaxWarmedBatchSize + 1) + "\ndynamic_batching { }");
  EXPECT_EQ(PlansAfterLoad(repo, "simple"), (std::vector<size_t>{0}));

  inference::ModelConfig config;
  config.set_max_batch_size(kMaxWarmedBatchSize + 1);
  config.mutable_dynamic_batching();
  auto warmed = WarmBatchSizes(config, repo.ModelDir("simple"), {});
  ASSERT_TRUE(warmed.ok());
  EXPECT_EQ(warmed->max_batch_size, 0u);
  EXPECT_NE(warmed->skipped.find("too many shapes"), std::string::npos) << warmed->skipped;
}

}  // namespace
}  // namespace kiln::server
