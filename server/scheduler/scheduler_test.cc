// Scheduler end to end on real engine sessions: batching correctness,
// ordering, priorities, timeouts, overload, parallel instances, Drain.
// Instances are held at a gate (the on_execution_start hook) to build up
// queues deterministically; nothing asserts on timing. Most tests hold the
// first request at the gate while the test thread enqueues more, so they
// turn the fast path (execute_on_caller) off; the FastPath tests enqueue
// the held request from a thread of its own, as a front-end thread would.
#include "server/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "engine/onnx/model_loader.h"
#include "tests/support/model_builder.h"

namespace kiln::server {
namespace {

using TensorMap = std::map<std::string, Tensor>;
constexpr auto kPatience = std::chrono::seconds(30);  // only reached when a test fails

std::shared_ptr<const Session> MakeSession(const testing::ModelBuilder& builder) {
  auto model = onnx_import::LoadModelBytes(builder.Serialize(), "");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  SessionOptions options;
  options.threads = 1;
  auto session = Session::Create(std::move(model).value(), options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return std::shared_ptr<const Session>(std::move(session).value());
}

// Y[b,3] = X[b,4] · W + B
std::shared_ptr<const Session> MatMulAddSession() {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, 4});
  std::vector<float> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.25f * static_cast<float>(i) - 1.0f;
  b.Initializer("W", w, {4, 3}).Initializer("B", {0.5f, -1.0f, 2.0f}, {3});
  b.Node("MatMul", {"X", "W"}, {"XW"}).Node("Add", {"XW", "B"}, {"Y"});
  b.Output("Y", DataType::kFloat, {-1, 3});
  return MakeSession(b);
}

// Y = X + 1 for X of any [batch, n].
std::shared_ptr<const Session> AddOneSession() {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, -1});
  b.Initializer("One", {1.0f}, {1});
  b.Node("Add", {"X", "One"}, {"Y"});
  b.Output("Y", DataType::kFloat, {-1, -1});
  return MakeSession(b);
}

// Multiples of 1/8 in [-2, 2): sums of their products are exact in float,
// so a batched GEMM must give bit-identical answers whatever its blocking.
Tensor RandomFloats(Shape shape, uint32_t seed) {
  Tensor t = Tensor::Allocate(DataType::kFloat, std::move(shape));
  uint32_t state = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(static_cast<int>((state >> 16) % 32) - 16) / 8.0f;
  }
  return t;
}

// Holds instances before each engine call until opened; counts arrivals.
class Gate {
 public:
  void Enter() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    ++inside_;
    max_inside_ = std::max(max_inside_, inside_);
    changed_.notify_all();
    changed_.wait_for(lock, kPatience, [&] { return open_; });
    --inside_;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits until `n` executions have reached the gate.
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return entered_ >= n; });
  }
  int max_inside() {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_inside_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  int inside_ = 0;
  int max_inside_ = 0;
};

// Collects answers by request id, in the order they arrive.
class Answers {
 public:
  std::unique_ptr<ScheduledRequest> Request(int id, TensorMap inputs, uint64_t priority = 0, uint64_t timeout_us = 0) {
    auto request = std::make_unique<ScheduledRequest>();
    request->inputs = std::move(inputs);
    request->priority = priority;
    request->timeout_us = timeout_us;
    request->done = [this, id](Result<TensorMap> result, const RequestTimings&) {
      std::lock_guard<std::mutex> lock(mutex_);
      order_.push_back(id);
      results_.emplace(id, std::move(result));
      changed_.notify_all();
    };
    return request;
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return results_.size() >= n; });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return results_.size();
  }
  std::vector<int> order() {
    std::lock_guard<std::mutex> lock(mutex_);
    return order_;
  }
  Result<TensorMap> result(int id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = results_.find(id);
    if (it == results_.end()) return Status::NotFound("no answer for request " + std::to_string(id));
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> order_;
  std::map<int, Result<TensorMap>> results_;
};

struct Fixture {
  std::shared_ptr<ModelStatistics> stats = std::make_shared<ModelStatistics>("m", "1");
  Gate gate;
  Answers answers;
  std::unique_ptr<Scheduler> scheduler;

  std::vector<std::thread> senders;  // requests enqueued in the background

  ~Fixture() {
    gate.Open();
    for (std::thread& sender : senders) sender.join();
  }

  void Start(SchedulerOptions options, std::vector<std::shared_ptr<const Session>> instances, bool gated = true,
             bool execute_on_caller = false) {
    options.model_name = "m";
    options.model_version = "1";
    options.execute_on_caller = execute_on_caller;
    if (gated) options.on_execution_start = [this](size_t, size_t) { gate.Enter(); };
    auto created = Scheduler::Create(options, std::move(instances), stats);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    scheduler = std::move(created).value();
  }

  // Enqueues request `id` with one [1,4] row of X, seeded by `id`.
  void EnqueueRow(int id, uint64_t priority = 0, uint64_t timeout_us = 0) {
    TensorMap inputs = {{"X", RandomFloats({1, 4}, static_cast<uint32_t>(id))}};
    scheduler->Enqueue(answers.Request(id, std::move(inputs), priority, timeout_us));
  }
  // The same from a thread of its own (which the fast path may hold).
  void EnqueueRowInBackground(int id) {
    senders.emplace_back([this, id] { EnqueueRow(id); });
  }
};

// Polls `condition` (a state of another thread) until it holds.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void ExpectSameFloats(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  EXPECT_EQ(actual.ToVector<float>(), expected.ToVector<float>());
}

TEST(Scheduler, MergedBatchesGiveTheUnbatchedAnswers) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.dynamic_batching = DynamicBatchingOptions{};
  f.Start(options, {session});

  const std::vector<int64_t> sizes = {1, 1, 2, 3, 1};
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < sizes.size(); ++i) inputs.push_back(RandomFloats({sizes[i], 4}, static_cast<uint32_t>(i)));
  // The first request occupies the instance while the others queue up.
  f.scheduler->Enqueue(f.answers.Request(0, {{"X", inputs[0]}}));
  ASSERT_TRUE(f.gate.WaitEntered(1));
  for (size_t i = 1; i < sizes.size(); ++i) f.scheduler->Enqueue(f.answers.Request(static_cast<int>(i), {{"X", inputs[i]}}));
  EXPECT_EQ(f.scheduler->QueueDepth(), 4u);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(sizes.size()));

  for (size_t i = 0; i < sizes.size(); ++i) {
    auto expected = session->Run({{"X", inputs[i]}});
    ASSERT_TRUE(expected.ok());
    auto answer = f.answers.result(static_cast<int>(i));
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    ExpectSameFloats(answer->at("Y"), (*expected)[0].tensor());
  }
  const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
  EXPECT_EQ(snapshot.execution_count, 2u);
  EXPECT_EQ(snapshot.inference_count, 8u);
  EXPECT_EQ(snapshot.batch_size_counts.at(1), 1u);
  EXPECT_EQ(snapshot.batch_size_counts.at(7), 1u);  // the four queued requests ran as one batch
  EXPECT_EQ(snapshot.success.count, 5u);
  EXPECT_EQ(snapshot.queue_depth, 0u);
}

TEST(Scheduler, RequestsWithOtherNonBatchDimensionsAreNotMerged) {
  auto session = AddOneSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.dynamic_batching = DynamicBatchingOptions{};
  f.Start(options, {session});

  const std::vector<Shape> shapes = {{1, 3}, {1, 3}, {2, 3}, {1, 5}, {1, 3}};
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < shapes.size(); ++i) inputs.push_back(RandomFloats(shapes[i], static_cast<uint32_t>(i)));
  f.scheduler->Enqueue(f.answers.Request(0, {{"X", inputs[0]}}));
  ASSERT_TRUE(f.gate.WaitEntered(1));
  for (size_t i = 1; i < shapes.size(); ++i) f.scheduler->Enqueue(f.answers.Request(static_cast<int>(i), {{"X", inputs[i]}}));
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(shapes.size()));

  for (size_t i = 0; i < shapes.size(); ++i) {
    auto answer = f.answers.result(static_cast<int>(i));
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    const Tensor& y = answer->at("Y");
    ASSERT_EQ(y.shape(), shapes[i]);
    for (int64_t k = 0; k < y.num_elements(); ++k) EXPECT_EQ(y.data<float>()[k], inputs[i].data<float>()[k] + 1.0f);
  }
  // [1,3] alone (held), then [1,3]+[2,3] merged, then [1,5] alone, then [1,3] alone.
  const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
  EXPECT_EQ(snapshot.execution_count, 4u);
  EXPECT_EQ(snapshot.batch_size_counts.at(1), 3u);
  EXPECT_EQ(snapshot.batch_size_counts.at(3), 1u);
}

TEST(Scheduler, PreserveOrderingHoldsLaterResponsesBack) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->preserve_ordering = true;
  // Only the first execution is held; the second instance runs freely.
  std::atomic<int> executions{0};
  options.on_execution_start = [&](size_t, size_t) {
    if (executions.fetch_add(1) == 0) f.gate.Enter();
  };
  f.Start(options, {session, session}, /*gated=*/false);

  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  // The second request has executed on the other instance ...
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (f.stats->Snapshot().execution_count < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(f.stats->Snapshot().execution_count, 1u);
  // ... but its response waits for the first one.
  EXPECT_EQ(f.answers.count(), 0u);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{0, 1}));
}

TEST(Scheduler, WithoutPreserveOrderingFinishedRequestsAnswerAtOnce) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  std::atomic<int> executions{0};
  options.on_execution_start = [&](size_t, size_t) {
    if (executions.fetch_add(1) == 0) f.gate.Enter();
  };
  f.Start(options, {session, session}, /*gated=*/false);
  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{1}));
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
}

TEST(Scheduler, HigherPriorityRequestsAreServedFirst) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 1;  // one request per execution: the order is visible
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->priority_levels = 3;
  options.dynamic_batching->default_priority_level = 2;
  f.Start(options, {session});

  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1, /*priority=*/3);
  f.EnqueueRow(2);  // default: level 2
  f.EnqueueRow(3, /*priority=*/1);
  f.EnqueueRow(4, /*priority=*/99);  // out of range: default
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(5));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{0, 3, 2, 4, 1}));
}

TEST(Scheduler, QueueTimeoutRejectsWithoutRunning) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->default_queue_policy.allow_timeout_override = true;
  f.Start(options, {session});

  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1, /*priority=*/0, /*timeout_us=*/2000);
  // Answered while the only instance is still held: the timer rejects it.
  ASSERT_TRUE(f.answers.WaitFor(1));
  auto rejected = f.answers.result(1);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(rejected.status().message().find("timed out in the queue after 2000 us"), std::string::npos)
      << rejected.status().message();
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
  f.scheduler->Drain();
  const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
  EXPECT_EQ(snapshot.execution_count, 1u);  // the timed-out request never ran
  EXPECT_EQ(snapshot.rejected, 1u);
  EXPECT_EQ(snapshot.success.count, 1u);
  EXPECT_EQ(snapshot.fail.count, 1u);
}

TEST(Scheduler, FifoPathHonoursTheRequestTimeout) {
  auto session = MatMulAddSession();
  Fixture f;
  f.Start(SchedulerOptions{}, {session});
  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1, /*priority=*/0, /*timeout_us=*/1000);
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_EQ(f.answers.result(1).status().code(), StatusCode::kResourceExhausted);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
  EXPECT_TRUE(f.answers.result(0).ok());
}

TEST(Scheduler, DelayedRequestsRunAfterTheirLevel) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 1;
  options.dynamic_batching = DynamicBatchingOptions{};
  QueuePolicy& policy = options.dynamic_batching->default_queue_policy;
  policy.timeout_action = QueuePolicy::TimeoutAction::kDelay;
  policy.allow_timeout_override = true;
  f.Start(options, {session});

  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1, /*priority=*/0, /*timeout_us=*/100);
  f.EnqueueRow(2);  // no timeout
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // request 1's deadline passes
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(3));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{0, 2, 1}));
  EXPECT_TRUE(f.answers.result(1).ok());  // delayed, not rejected
}

TEST(Scheduler, FullQueueRejectsAtOnce) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_queue_size = 2;
  f.Start(options, {session});

  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  f.EnqueueRow(2);
  f.EnqueueRow(3);
  // Answered inside Enqueue, before anything ran.
  ASSERT_EQ(f.answers.count(), 1u);
  auto rejected = f.answers.result(3);
  EXPECT_EQ(rejected.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(rejected.status().message(), "queue of model 'm' version 1 is full (2 requests)");
  EXPECT_EQ(f.stats->Snapshot().queue_depth, 2u);
  EXPECT_EQ(f.stats->Snapshot().rejected, 1u);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(4));
  EXPECT_TRUE(f.answers.result(2).ok());
}

TEST(Scheduler, PriorityLevelsHaveTheirOwnQueueBounds) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 1;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->priority_levels = 2;
  options.dynamic_batching->default_priority_level = 2;
  options.dynamic_batching->priority_queue_policy[2].max_queue_size = 1;
  f.Start(options, {session});
  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  f.EnqueueRow(2);  // level 2 full
  f.EnqueueRow(3, /*priority=*/1);  // level 1 unbounded
  ASSERT_EQ(f.answers.count(), 1u);
  EXPECT_EQ(f.answers.result(2).status().code(), StatusCode::kResourceExhausted);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(4));
  EXPECT_TRUE(f.answers.result(3).ok());
}

TEST(Scheduler, InstancesRunInParallel) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  f.Start(options, {MatMulAddSession(), MatMulAddSession()});
  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  // The second request reaches the gate while the first is still inside it:
  // the two instances execute at the same time.
  ASSERT_TRUE(f.gate.WaitEntered(2));
  EXPECT_EQ(f.gate.max_inside(), 2);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
  EXPECT_TRUE(f.answers.result(0).ok());
  EXPECT_TRUE(f.answers.result(1).ok());
}

TEST(Scheduler, DrainAnswersEverythingThenRefuses) {
  auto session = MatMulAddSession();
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 2;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->max_queue_delay_us = 60000000;  // Drain must not wait for it
  options.dynamic_batching->preferred_batch_sizes = {2};
  f.Start(options, {session, session});
  for (int i = 0; i < 7; ++i) f.scheduler->Enqueue(f.answers.Request(i, {{"X", RandomFloats({1, 4}, i)}}));
  std::thread drain([&] { f.scheduler->Drain(); });
  f.gate.Open();
  drain.join();
  EXPECT_EQ(f.answers.count(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(f.answers.result(i).ok()) << i;
  f.EnqueueRow(7);
  ASSERT_EQ(f.answers.count(), 8u);
  EXPECT_EQ(f.answers.result(7).status().code(), StatusCode::kUnavailable);
  f.scheduler->Drain();  // idempotent
}

TEST(Scheduler, EngineErrorsReachEveryRequestOfTheBatch) {
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  f.Start(options, {MatMulAddSession()});
  f.EnqueueRow(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.scheduler->Enqueue(f.answers.Request(1, {{"X", Tensor::Allocate(DataType::kInt32, {1, 4}, true)}}));
  f.scheduler->Enqueue(f.answers.Request(2, {{"X", Tensor::Allocate(DataType::kInt32, {1, 4}, true)}}));
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(3));
  EXPECT_TRUE(f.answers.result(0).ok());
  EXPECT_EQ(f.answers.result(1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.answers.result(2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.stats->Snapshot().fail.count, 2u);
}

TEST(Scheduler, RecordsTimings) {
  Fixture f;
  f.Start(SchedulerOptions{}, {MatMulAddSession()}, /*gated=*/false);
  RequestTimings seen;
  std::promise<void> answered;
  auto request = std::make_unique<ScheduledRequest>();
  request->inputs.emplace("X", RandomFloats({1, 4}, 0));
  request->done = [&](Result<TensorMap> result, const RequestTimings& timings) {
    EXPECT_TRUE(result.ok());
    seen = timings;
    answered.set_value();
  };
  f.scheduler->Enqueue(std::move(request));
  answered.get_future().wait();
  EXPECT_GT(seen.compute_infer_ns, 0u);
  EXPECT_GE(seen.total_ns, seen.queue_ns + seen.compute_infer_ns);
  const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
  EXPECT_EQ(snapshot.success.count, 1u);
  EXPECT_EQ(snapshot.compute_infer.count, 1u);
  EXPECT_EQ(snapshot.queue_latency.total, 1u);
  EXPECT_GT(snapshot.last_inference_ms, 0u);
}

TEST(Scheduler, CreateRejectsInconsistentOptions) {
  auto session = MatMulAddSession();
  SchedulerOptions options;
  options.model_name = "m";
  EXPECT_FALSE(Scheduler::Create(options, {}, nullptr).ok());
  options.max_batch_size = 4;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->preferred_batch_sizes = {8};
  auto too_big = Scheduler::Create(options, {session}, nullptr);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("preferred_batch_size 8"), std::string::npos);
  options.dynamic_batching->preferred_batch_sizes = {};
  options.dynamic_batching->priority_levels = 2;
  options.dynamic_batching->default_priority_level = 3;
  EXPECT_EQ(Scheduler::Create(options, {session}, nullptr).status().code(), StatusCode::kInvalidArgument);
  options.dynamic_batching->default_priority_level = 1;
  options.dynamic_batching->priority_queue_policy[5] = QueuePolicy{};
  EXPECT_EQ(Scheduler::Create(options, {session}, nullptr).status().code(), StatusCode::kInvalidArgument);
  options.dynamic_batching->priority_queue_policy.clear();
  EXPECT_TRUE(Scheduler::Create(options, {session}, nullptr).ok());
}

TEST(SchedulerFastPath, RunsOnTheCallerWithTheSameAnswersAndStatistics) {
  auto session = MatMulAddSession();
  for (const bool batching : {false, true}) {
    Fixture f;
    SchedulerOptions options;
    options.max_batch_size = 8;
    if (batching) options.dynamic_batching = DynamicBatchingOptions{};
    std::vector<std::thread::id> threads;  // only touched by the caller: it runs there
    options.on_execution_start = [&](size_t, size_t) { threads.push_back(std::this_thread::get_id()); };
    f.Start(options, {session}, /*gated=*/false, /*execute_on_caller=*/true);
    const std::vector<int64_t> sizes = {1, 3, 2};
    for (size_t i = 0; i < sizes.size(); ++i) {
      Tensor input = RandomFloats({sizes[i], 4}, static_cast<uint32_t>(i));
      f.scheduler->Enqueue(f.answers.Request(static_cast<int>(i), {{"X", input}}));
      // Answered before Enqueue returned: it ran on this thread.
      ASSERT_EQ(f.answers.count(), i + 1) << "batching " << batching;
      auto expected = session->Run({{"X", input}});
      ASSERT_TRUE(expected.ok());
      auto answer = f.answers.result(static_cast<int>(i));
      ASSERT_TRUE(answer.ok()) << answer.status().ToString();
      ExpectSameFloats(answer->at("Y"), (*expected)[0].tensor());
    }
    EXPECT_EQ(threads, std::vector<std::thread::id>(sizes.size(), std::this_thread::get_id()));
    const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
    EXPECT_EQ(snapshot.success.count, 3u);
    EXPECT_EQ(snapshot.execution_count, 3u);
    EXPECT_EQ(snapshot.inference_count, 6u);
    EXPECT_EQ(snapshot.compute_infer.count, 3u);
    EXPECT_EQ(snapshot.queue_depth, 0u);
  }
}

// Records on which thread each execution ran, then waits at the gate.
struct ThreadLog {
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  std::vector<size_t> batch_requests;
  std::vector<std::thread::id> Threads() {
    std::lock_guard<std::mutex> lock(mutex);
    return threads;
  }
};

TEST(SchedulerFastPath, TheCallerAlsoRunsTheBatchesThatQueuedMeanwhile) {
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.dynamic_batching = DynamicBatchingOptions{};
  // However long the gate holds it; executions then average far more than
  // execute_on_caller_below_us, which decides only whether a request may
  // start on its caller, not how long the caller keeps draining.
  options.caller_drain_budget_us = 60'000'000;
  ThreadLog log;
  options.on_execution_start = [&](size_t, size_t requests) {
    {
      std::lock_guard<std::mutex> lock(log.mutex);
      log.threads.push_back(std::this_thread::get_id());
      log.batch_requests.push_back(requests);
    }
    f.gate.Enter();
  };
  f.Start(options, {MatMulAddSession()}, /*gated=*/false, /*execute_on_caller=*/true);
  std::thread::id sender;
  f.senders.emplace_back([&] {
    sender = std::this_thread::get_id();
    f.EnqueueRow(0);  // runs here, held at the gate
  });
  ASSERT_TRUE(f.gate.WaitEntered(1));
  for (int id = 1; id <= 3; ++id) f.EnqueueRow(id);  // the instance is busy: they queue
  EXPECT_EQ(f.scheduler->QueueDepth(), 3u);
  // Request 0's execution takes over execute_on_caller_below_us (1 ms):
  // the caller still keeps draining, within its drain budget.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(4));
  for (int id = 0; id <= 3; ++id) EXPECT_TRUE(f.answers.result(id).ok()) << id;
  f.senders.back().join();
  f.senders.pop_back();
  // Both executions ran on the sender's thread: request 0 alone, then the
  // three that queued behind it as one batch, with no handoff to the worker.
  EXPECT_EQ(log.Threads(), (std::vector<std::thread::id>{sender, sender}));
  EXPECT_EQ(log.batch_requests, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(f.stats->Snapshot().execution_count, 2u);
}

TEST(SchedulerFastPath, TheCallerHandsQueuedBatchesToTheWorkerPastItsTimeBudget) {
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.caller_drain_budget_us = 2000;
  ThreadLog log;
  options.on_execution_start = [&](size_t, size_t) {
    {
      std::lock_guard<std::mutex> lock(log.mutex);
      log.threads.push_back(std::this_thread::get_id());
    }
    f.gate.Enter();
  };
  f.Start(options, {MatMulAddSession()}, /*gated=*/false, /*execute_on_caller=*/true);
  std::thread::id sender;
  f.senders.emplace_back([&] {
    sender = std::this_thread::get_id();
    f.EnqueueRow(0);
  });
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1);
  // The caller has held the instance for longer than its budget when it
  // finishes request 0, so request 1 goes to the worker.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(2));
  f.senders.back().join();
  f.senders.pop_back();
  const std::vector<std::thread::id> threads = log.Threads();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0], sender);
  EXPECT_NE(threads[1], sender);
  EXPECT_NE(threads[1], std::this_thread::get_id());
  EXPECT_TRUE(f.answers.result(1).ok());
}

TEST(SchedulerFastPath, NotTakenOnceExecutionsTakeLong) {
  Fixture f;
  SchedulerOptions options;
  options.execute_on_caller_below_us = 1000;
  std::vector<std::thread::id> threads;
  std::mutex mutex;
  options.on_execution_start = [&](size_t, size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // a "slow model": over 1000 us
    std::lock_guard<std::mutex> lock(mutex);
    threads.push_back(std::this_thread::get_id());
  };
  f.Start(options, {MatMulAddSession()}, /*gated=*/false, /*execute_on_caller=*/true);
  f.EnqueueRow(0);  // nothing known yet: runs here
  ASSERT_EQ(f.answers.count(), 1u);
  f.EnqueueRow(1);  // executions average 3 ms now: handed to the worker
  ASSERT_TRUE(f.answers.WaitFor(2));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0], std::this_thread::get_id());
  EXPECT_NE(threads[1], std::this_thread::get_id());
  EXPECT_TRUE(f.answers.result(1).ok());
}

TEST(SchedulerFastPath, NotTakenWhenTheBatcherWaitsForMoreRequests) {
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->max_queue_delay_us = 1000;
  std::promise<std::thread::id> ran_on;
  options.on_execution_start = [&](size_t, size_t) { ran_on.set_value(std::this_thread::get_id()); };
  f.Start(options, {MatMulAddSession()}, /*gated=*/false, /*execute_on_caller=*/true);
  f.EnqueueRow(0);
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());  // a worker ran it
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_TRUE(f.answers.result(0).ok());
}

TEST(SchedulerFastPath, NotTakenForARequestThatForbidsIt) {
  // What the HTTP front end asks for: its I/O threads each own connections.
  Fixture f;
  SchedulerOptions options;
  std::promise<std::thread::id> ran_on;
  options.on_execution_start = [&](size_t, size_t) { ran_on.set_value(std::this_thread::get_id()); };
  f.Start(options, {MatMulAddSession()}, /*gated=*/false, /*execute_on_caller=*/true);
  std::unique_ptr<ScheduledRequest> request = f.answers.Request(0, {{"X", RandomFloats({1, 4}, 0)}});
  request->may_run_on_caller = false;
  f.scheduler->Enqueue(std::move(request));  // idle instance, empty queue: the fast path's case
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());  // a worker ran it
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_TRUE(f.answers.result(0).ok());
}

TEST(SchedulerFastPath, RequestsArrivingMeanwhileQueueWithTheirPriorities) {
  Fixture f;
  SchedulerOptions options;
  options.max_batch_size = 1;
  options.dynamic_batching = DynamicBatchingOptions{};
  options.dynamic_batching->priority_levels = 3;
  options.dynamic_batching->default_priority_level = 2;
  options.dynamic_batching->default_queue_policy.allow_timeout_override = true;
  f.Start(options, {MatMulAddSession()}, /*gated=*/true, /*execute_on_caller=*/true);

  f.EnqueueRowInBackground(0);  // runs on its sender's thread, held at the gate
  ASSERT_TRUE(f.gate.WaitEntered(1));
  f.EnqueueRow(1, /*priority=*/3);
  f.EnqueueRow(2);
  f.EnqueueRow(3, /*priority=*/1);
  f.EnqueueRow(4, /*priority=*/0, /*timeout_us=*/1000);
  // Nothing else ran (the only instance is busy): they queued, and the one
  // with a timeout is rejected while the instance is still held.
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{4}));
  EXPECT_EQ(f.answers.result(4).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(f.scheduler->QueueDepth(), 3u);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(5));
  EXPECT_EQ(f.answers.order(), (std::vector<int>{4, 0, 3, 2, 1}));
  const ModelStatisticsSnapshot snapshot = f.stats->Snapshot();
  EXPECT_EQ(snapshot.execution_count, 4u);
  EXPECT_EQ(snapshot.success.count, 4u);
  EXPECT_EQ(snapshot.rejected, 1u);
}

TEST(SchedulerFastPath, InstancesStillBoundConcurrentExecutions) {
  Fixture f;
  SchedulerOptions options;  // no dynamic batching
  options.max_queue_size = 1;
  f.Start(options, {MatMulAddSession(), MatMulAddSession()}, /*gated=*/true, /*execute_on_caller=*/true);
  f.EnqueueRowInBackground(0);
  f.EnqueueRowInBackground(1);
  ASSERT_TRUE(f.gate.WaitEntered(2));  // both instances busy on their callers
  f.EnqueueRow(2);                     // queues
  f.EnqueueRow(3);                     // the queue (1) is full
  ASSERT_TRUE(f.answers.WaitFor(1));
  EXPECT_EQ(f.answers.result(3).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(f.scheduler->QueueDepth(), 1u);
  EXPECT_EQ(f.gate.max_inside(), 2);
  f.gate.Open();
  ASSERT_TRUE(f.answers.WaitFor(4));
  for (int id : {0, 1, 2}) EXPECT_TRUE(f.answers.result(id).ok()) << id;
  EXPECT_EQ(f.gate.max_inside(), 2);  // never three executions at once
  EXPECT_EQ(f.stats->Snapshot().execution_count, 3u);
}

TEST(SchedulerFastPath, DrainWaitsForAnExecutionOnACaller) {
  Fixture f;
  f.Start(SchedulerOptions{}, {MatMulAddSession()}, /*gated=*/true, /*execute_on_caller=*/true);
  f.EnqueueRowInBackground(0);
  ASSERT_TRUE(f.gate.WaitEntered(1));
  std::atomic<bool> drained{false};
  std::thread drain([&] {
    f.scheduler->Drain();
    drained = true;
  });
  // Once Drain has begun, new requests are refused at once (those sent
  // before queue), while request 0 still runs.
  int id = 1;
  ASSERT_TRUE(Eventually([&] {
    f.EnqueueRow(id);
    return f.answers.result(id++).status().code() == StatusCode::kUnavailable;
  }));
  EXPECT_FALSE(drained);
  f.gate.Open();
  drain.join();
  EXPECT_EQ(f.answers.count(), static_cast<size_t>(id));  // everything answered before Drain returned
  for (int queued = 0; queued < id - 1; ++queued) EXPECT_TRUE(f.answers.result(queued).ok()) << queued;
}

}  // namespace
}  // namespace kiln::server
