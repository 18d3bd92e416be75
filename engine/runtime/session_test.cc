#include "engine/runtime/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/onnx/model_loader.h"
#include "tests/support/model_builder.h"

namespace kiln {
namespace {

std::unique_ptr<Session> AddSession() {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, 3}).Input("Y", DataType::kFloat, {3});
  b.Node("Add", {"X", "Y"}, {"Z"}).Output("Z", DataType::kFloat, {-1, 3});
  auto model = onnx_import::LoadModelBytes(b.Serialize(), "");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(std::move(model).value());
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return std::move(session).value();
}

TEST(Session, RunsWithDynamicBatchAndBroadcast) {
  auto session = AddSession();
  for (int64_t batch : {1, 4, 2}) {
    Tensor x = Tensor::Allocate(DataType::kFloat, {batch, 3});
    for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = static_cast<float>(i);
    auto out = session->Run({{"X", x}, {"Y", Tensor::FromVector<float>({3}, {10, 20, 30})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& z = (*out)[0].tensor();
    ASSERT_EQ(z.shape(), (Shape{batch, 3}));
    for (int64_t i = 0; i < z.num_elements(); ++i) EXPECT_EQ(z.data<float>()[i], static_cast<float>(i) + 10.0f * (1 + i % 3));
  }
}

TEST(Session, ReportsHowLongEachNodeTook) {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, 3});
  b.Node("Relu", {"X"}, {"R"}).Node("Neg", {"R"}, {"N"}).Node("Abs", {"N"}, {"Z"});
  b.Output("Z", DataType::kFloat, {-1, 3});
  auto model = onnx_import::LoadModelBytes(b.Serialize(), "");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (const bool plan_memory : {true, false}) {
    SessionOptions options;
    options.optimize.enabled = false;
    options.plan_memory = plan_memory;
    options.threads = 2;
    auto session = Session::Create(*model, options);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    const std::vector<const ir::Node*> order = (*session)->ExecutionOrder();
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0]->op_type, "Relu");
    EXPECT_EQ(order[2]->op_type, "Abs");
    const Tensor x = Tensor::FromVector<float>({2, 3}, {1, -2, 3, -4, 5, -6});
    for (int run = 0; run < 3; ++run) {  // the first run records the memory plan
      std::vector<double> step_micros = {-1.0};
      const auto started = std::chrono::steady_clock::now();
      auto out = (*session)->Run({{"X", x}}, &step_micros);
      const double run_micros =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_EQ(step_micros.size(), 3u);
      double sum = 0;
      for (double t : step_micros) {
        EXPECT_GE(t, 0.0);
        sum += t;
      }
      EXPECT_LE(sum, run_micros);
      EXPECT_EQ((*out)[0].tensor().ToVector<float>(), (std::vector<float>{1, 0, 3, 0, 5, 0}));
    }
  }
}

TEST(Session, ReportsFeedErrors) {
  auto session = AddSession();
  Tensor y = Tensor::FromVector<float>({3}, {1, 2, 3});
  auto missing = session->Run({{"Y", y}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'X'"), std::string::npos);
  auto unknown = session->Run({{"X", Tensor::Allocate(DataType::kFloat, {1, 3})}, {"Y", y}, {"Q", y}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'Q'"), std::string::npos);
  auto dtype = session->Run({{"X", Tensor::Allocate(DataType::kInt32, {1, 3})}, {"Y", y}});
  ASSERT_FALSE(dtype.ok());
  EXPECT_TRUE(dtype.status().IsInvalidArgument());
}

TEST(Session, ServesConcurrentRuns) {
  auto session = AddSession();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Tensor x = Tensor::Allocate(DataType::kFloat, {2, 3});
        for (int k = 0; k < 6; ++k) x.data<float>()[k] = static_cast<float>(t);
        auto out = session->Run({{"X", x}, {"Y", Tensor::FromVector<float>({3}, {1, 1, 1})}});
        if (!out.ok() || (*out)[0].tensor().data<float>()[5] != static_cast<float>(t + 1)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Session, UnsupportedOperatorsAreListedTogether) {
  testing::ModelBuilder b;
  b.Opset("com.example", 1);
  b.Input("X", DataType::kFloat, {2});
  b.Node("Alpha", {"X"}, {"A"}, "com.example").Node("Beta", {"A"}, {"B"}, "com.example");
  b.Output("B", DataType::kFloat, {2});
  auto model = onnx_import::LoadModelBytes(b.Serialize(), "");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(std::move(model).value());
  ASSERT_FALSE(session.ok());
  EXPECT_TRUE(session.status().IsUnimplemented());
  EXPECT_NE(session.status().message().find("com.example::Alpha"), std::string::npos);
  EXPECT_NE(session.status().message().find("com.example::Beta"), std::string::npos);
}

Result<std::unique_ptr<Session>> MatMulSession(int threads, bool adapt_threads = true) {
  testing::ModelBuilder b;
  b.Input("A", DataType::kFloat, {-1, 96}).Input("B", DataType::kFloat, {96, 200});
  b.Node("MatMul", {"A", "B"}, {"C"}).Output("C", DataType::kFloat, {-1, 200});
  KILN_ASSIGN_OR_RETURN(ir::Model model, onnx_import::LoadModelBytes(b.Serialize(), ""));
  SessionOptions options;
  options.threads = threads;
  options.adapt_threads = adapt_threads;
  return Session::Create(std::move(model), options);
}

TEST(Session, ThreadsOption) {
  auto bad = MatMulSession(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  auto all = MatMulSession(0);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)->threads(), ThreadPool::AvailableCores());

  // The same bits with one thread and with several.
  Tensor a = Tensor::Allocate(DataType::kFloat, {300, 96});
  Tensor b = Tensor::Allocate(DataType::kFloat, {96, 200});
  for (int64_t i = 0; i < a.num_elements(); ++i) a.data<float>()[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1;
  for (int64_t i = 0; i < b.num_elements(); ++i) b.data<float>()[i] = static_cast<float>((i * 53) % 97) / 48.0f - 1;
  std::vector<float> first;
  for (int threads : {1, 3}) {
    auto session = MatMulSession(threads);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    EXPECT_EQ((*session)->threads(), threads);
    auto out = (*session)->Run({{"A", a}, {"B", b}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& c = (*out)[0].tensor();
    std::vector<float> values(c.data<float>(), c.data<float>() + c.num_elements());
    if (first.empty()) {
      first = values;
    } else {
      EXPECT_EQ(values, first);
    }
  }
}

TEST(Session, AdaptiveThreadsGiveTheSameResultsEitherWay) {
  // A multi-threaded session measures its runs on all threads and on one
  // (one thread after 64 runs at the latest, then the faster way wins): every run
  // must agree with a single-threaded session, fixed or not.
  Tensor a = Tensor::Allocate(DataType::kFloat, {64, 96});
  Tensor b = Tensor::Allocate(DataType::kFloat, {96, 200});
  for (int64_t i = 0; i < a.num_elements(); ++i) a.data<float>()[i] = static_cast<float>((i * 29) % 89) / 44.0f - 1;
  for (int64_t i = 0; i < b.num_elements(); ++i) b.data<float>()[i] = static_cast<float>((i * 31) % 83) / 41.0f - 1;
  auto single = MatMulSession(1);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  auto expected = (*single)->Run({{"A", a}, {"B", b}});
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  const Tensor& want = (*expected)[0].tensor();
  for (bool adapt : {true, false}) {
    auto session = MatMulSession(2, adapt);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    for (int run = 0; run < 80; ++run) {
      auto out = (*session)->Run({{"A", a}, {"B", b}});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      const Tensor& got = (*out)[0].tensor();
      ASSERT_EQ(got.shape(), want.shape());
      for (int64_t i = 0; i < got.num_elements(); ++i) {
        ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4f) << "run " << run << " adapt " << adapt;
      }
    }
    // Adaptive: one thread was looked at by run 66 at the latest. Fixed: never.
    if (adapt) {
      EXPECT_GE((*session)->one_thread_runs(), 1u);
    } else {
      EXPECT_EQ((*session)->one_thread_runs(), 0u);
    }
  }
  EXPECT_EQ((*single)->one_thread_runs(), 0u);
}

}  // namespace
}  // namespace kiln
