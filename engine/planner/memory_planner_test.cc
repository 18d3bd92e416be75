// The memory planner through Session: results equal unplanned runs, plans
// are cached per shape, outputs never alias the arena, and data-dependent
// shapes fall back safely.
#include "engine/planner/memory_planner.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/onnx/model_loader.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln {
namespace {

std::unique_ptr<Session> MakeSession(const testing::ModelBuilder& b, bool plan_memory = true, int max_plans = 16) {
  auto model = onnx_import::LoadModelBytes(b.Serialize(), "");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  SessionOptions options;
  options.plan_memory = plan_memory;
  options.max_memory_plans = max_plans;
  options.threads = 1;
  auto session = Session::Create(std::move(model).value(), options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return std::move(session).value();
}

// X -> Relu -> Sigmoid -> Add(.., X) -> Relu -> Flatten(view) -> Neg -> Z,
// plus a second output that is a view of an intermediate.
testing::ModelBuilder ChainModel() {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, 4});
  b.Node("Relu", {"X"}, {"a"});
  b.Node("Sigmoid", {"a"}, {"b"});
  b.Node("Add", {"b", "X"}, {"c"});
  b.Node("Relu", {"c"}, {"d"});
  b.Node("Flatten", {"d"}, {"e"});
  b.Node("Neg", {"e"}, {"Z"});
  b.Node("Tanh", {"Z"}, {"t"});
  b.Node("Flatten", {"t"}, {"W"});
  b.Output("Z", DataType::kFloat, {-1, 4}).Output("W", DataType::kFloat, {-1, 4});
  return b;
}

Tensor Ramp(int64_t batch, float scale) {
  Tensor x = Tensor::Allocate(DataType::kFloat, {batch, 4});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = scale * static_cast<float>(i - 5);
  return x;
}

void ExpectSame(const std::vector<Value>& a, const std::vector<Value>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const Tensor& x = a[i].tensor();
    const Tensor& y = b[i].tensor();
    ASSERT_EQ(x.shape(), y.shape());
    for (int64_t k = 0; k < x.num_elements(); ++k) EXPECT_FLOAT_EQ(x.data<float>()[k], y.data<float>()[k]) << i << ":" << k;
  }
}

TEST(MemoryPlanner, PlannedRunsMatchUnplannedRuns) {
  auto planned = MakeSession(ChainModel());
  auto reference = MakeSession(ChainModel(), /*plan_memory=*/false);
  for (int64_t batch : {2, 2, 2, 5, 2, 5, 1}) {
    auto got = planned->Run({{"X", Ramp(batch, 0.5f)}});
    auto want = reference->Run({{"X", Ramp(batch, 0.5f)}});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(want.ok());
    ExpectSame(*got, *want);
  }
}

TEST(MemoryPlanner, OutputsSurviveLaterRuns) {
  auto session = MakeSession(ChainModel());
  auto reference = MakeSession(ChainModel(), false);
  auto first = session->Run({{"X", Ramp(3, 1.0f)}});
  auto second = session->Run({{"X", Ramp(3, 1.0f)}});  // planned
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = session->Run({{"X", Ramp(3, -2.0f)}});   // reuses the arena
  ASSERT_TRUE(third.ok());
  ExpectSame(*second, *reference->Run({{"X", Ramp(3, 1.0f)}}));
  ExpectSame(*first, *second);
}

TEST(MemoryPlanner, PlansOncePerShapeAndSharesMemory) {
  auto session = MakeSession(ChainModel());
  auto stats = session->PlanMemory({{"X", Ramp(8, 1.0f)}});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  // a, b, c, d are planned; Z and W (and the buffers they view) are the caller's.
  EXPECT_EQ(stats->planned_tensors, 4);
  EXPECT_EQ(stats->fresh_tensors, 2);
  EXPECT_EQ(stats->unshared_bytes, 4u * 8 * 4 * sizeof(float));
  // Sigmoid and the second Relu run in place; Add cannot (X is the caller's,
  // and b is its in-place candidate: it takes b's buffer).
  EXPECT_GE(stats->in_place_tensors, 2);
  EXPECT_LT(stats->arena_bytes, stats->unshared_bytes);
  EXPECT_GT(stats->arena_bytes, 0u);
}

TEST(MemoryPlanner, DisabledPlanningReportsIt) {
  auto session = MakeSession(ChainModel(), false);
  auto stats = session->PlanMemory({{"X", Ramp(2, 1.0f)}});
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MemoryPlanner, DataDependentSizesFallBackToFreshAllocation) {
  // NonZero's output size depends on the values, not the input shape.
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {4});
  b.Node("Relu", {"X"}, {"r"});
  b.Node("NonZero", {"r"}, {"n"});
  b.Node("Neg", {"n"}, {"m"});
  b.Node("Neg", {"m"}, {"Y"});
  b.Output("Y", DataType::kInt64, {1, -1});
  auto session = MakeSession(b);
  auto run = [&](std::vector<float> v) {
    auto out = session->Run({{"X", Tensor::FromVector<float>({4}, v)}});
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return (*out)[0].tensor().ToInt64Vector();
  };
  EXPECT_EQ(run({1, 0, 0, 0}), (std::vector<int64_t>{0}));           // recorded: one nonzero
  EXPECT_EQ(run({0, 2, 0, 0}), (std::vector<int64_t>{1}));           // planned
  EXPECT_EQ(run({1, 2, 3, 4}), (std::vector<int64_t>{0, 1, 2, 3}));  // larger than planned
  EXPECT_EQ(run({0, 0, 0, 0}), (std::vector<int64_t>{}));
}

TEST(MemoryPlanner, BoundedCacheKeepsWorking) {
  auto session = MakeSession(ChainModel(), true, /*max_plans=*/2);
  auto reference = MakeSession(ChainModel(), false);
  for (int round = 0; round < 2; ++round) {
    for (int64_t batch : {1, 2, 3, 4}) {
      auto got = session->Run({{"X", Ramp(batch, 1.5f)}});
      ASSERT_TRUE(got.ok());
      ExpectSame(*got, *reference->Run({{"X", Ramp(batch, 1.5f)}}));
    }
  }
}

TEST(MemoryPlanner, ConcurrentRunsUseSeparateArenas) {
  auto session = MakeSession(ChainModel());
  auto reference = MakeSession(ChainModel(), false);
  std::vector<std::vector<Value>> expected;
  for (int t = 0; t < 4; ++t) expected.push_back(*reference->Run({{"X", Ramp(16, static_cast<float>(t + 1))}}));
  ASSERT_TRUE(session->Run({{"X", Ramp(16, 1.0f)}}).ok());  // record the plan
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto out = session->Run({{"X", Ramp(16, static_cast<float>(t + 1))}});
        if (!out.ok()) {
          ++mismatches;
          continue;
        }
        for (size_t o = 0; o < out->size(); ++o)
          for (int64_t k = 0; k < 64; ++k)
            if ((*out)[o].tensor().data<float>()[k] != expected[static_cast<size_t>(t)][o].tensor().data<float>()[k])
              ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace kiln
