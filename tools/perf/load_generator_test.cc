#include "tools/perf/load_generator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tools/perf/perf_inputs.h"
#include "tools/perf/step_report.h"

namespace kiln::perf {
namespace {

// Answers every third request with ResourceExhausted; counts calls and the
// most requests ever in flight at once.
class FakeClient : public server::InferenceClient {
 public:
  struct Shared {
    std::atomic<int> in_flight{0};
    std::atomic<int> max_in_flight{0};
    std::atomic<int> calls{0};
  };
  explicit FakeClient(Shared& shared) : shared_(shared) {}

  Result<bool> IsServerLive() override { return true; }
  Result<server::ModelMetadata> GetModelMetadata(const std::string&, const std::string&) override {
    return Status::Unimplemented("fake");
  }
  Result<std::vector<server::ModelStatisticsSnapshot>> GetModelStatistics(const std::string&,
                                                                          const std::string&) override {
    return Status::Unimplemented("fake");
  }
  Result<std::vector<server::ClientTensor>> Infer(const std::string&, const std::string&,
                                                  const std::vector<server::ClientTensor>& inputs) override {
    const int now = ++shared_.in_flight;
    int seen = shared_.max_in_flight.load();
    while (now > seen && !shared_.max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --shared_.in_flight;
    if (++shared_.calls % 3 == 0) return Status::ResourceExhausted("queue is full");
    return inputs;
  }

 private:
  Shared& shared_;
};

LoadSettings ShortSettings() {
  LoadSettings settings;
  settings.model = "m";
  settings.warmup = std::chrono::milliseconds(20);
  settings.window = std::chrono::milliseconds(200);
  return settings;
}

TEST(LoadGenerator, KeepsTheConcurrencyInFlightAndSortsOutcomes) {
  FakeClient::Shared shared;
  ClientFactory factory = [&]() -> Result<std::unique_ptr<server::InferenceClient>> {
    return std::unique_ptr<server::InferenceClient>(new FakeClient(shared));
  };
  int window_hooks = 0;
  LoadSettings settings = ShortSettings();
  settings.on_window_start = [&] { ++window_hooks; };
  settings.on_window_end = [&] { ++window_hooks; };
  auto m = RunLoadStep(factory, LoadStep{4, 0}, settings);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(window_hooks, 2);
  EXPECT_EQ(shared.max_in_flight.load(), 4);
  EXPECT_GT(m->succeeded, 0u);
  EXPECT_GT(m->rejected, 0u);
  EXPECT_EQ(m->failed, 0u);
  EXPECT_EQ(m->latencies_us.size(), m->succeeded);
  EXPECT_TRUE(std::is_sorted(m->latencies_us.begin(), m->latencies_us.end()));
  EXPECT_LE(m->succeeded + m->rejected, static_cast<uint64_t>(shared.calls.load()));
}

TEST(LoadGenerator, RequestRateModeSendsOnSchedule) {
  FakeClient::Shared shared;
  ClientFactory factory = [&]() -> Result<std::unique_ptr<server::InferenceClient>> {
    return std::unique_ptr<server::InferenceClient>(new FakeClient(shared));
  };
  LoadSettings settings = ShortSettings();
  settings.rate_threads = 8;
  auto m = RunLoadStep(factory, LoadStep{0, 100}, settings);
  ASSERT_TRUE(m.ok());
  // 220 ms at 100/s: about 22 sends in all, never more than the schedule allows.
  EXPECT_GT(shared.calls.load(), 0);
  EXPECT_LE(shared.calls.load(), 23);
  EXPECT_FALSE(RunLoadStep(factory, LoadStep{0, 0}, settings).ok());
  EXPECT_FALSE(RunLoadStep(factory, LoadStep{2, 5}, settings).ok());
}

TEST(LoadGenerator, PercentilesInterpolate) {
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({10}, 99), 10);
  EXPECT_DOUBLE_EQ(Percentile({0, 10, 20, 30, 40}, 50), 20);
  EXPECT_DOUBLE_EQ(Percentile({0, 10}, 90), 9);
}

TEST(StepReport, SplitsServerTimePerRequest) {
  server::ModelStatisticsSnapshot before, after;
  before.success = {10, 0};
  before.queue = {10, 1000};
  after.success = {30, 0};
  after.queue = {30, 41000};
  after.compute_infer = {30, 200000};
  after.execution_count = 5;
  after.inference_count = 20;
  ServerSplit split = DiffStatistics({before}, {after});
  EXPECT_EQ(split.requests, 20u);
  EXPECT_DOUBLE_EQ(split.queue_us, 2.0);
  EXPECT_DOUBLE_EQ(split.compute_infer_us, 10.0);
  EXPECT_EQ(split.executions, 5u);

  StepReport report;
  report.measurement.step.concurrency = 2;
  report.measurement.window_s = 2;
  report.measurement.succeeded = 10;
  report.measurement.latencies_us = {100, 200};
  report.batch_size = 4;
  report.server = split;
  EXPECT_DOUBLE_EQ(report.Throughput(), 20.0);
  const std::string json = FormatStepJson(report);
  EXPECT_NE(json.find("\"concurrency\": 2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"throughput\": 20.000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"queue_us\": 2.0"), std::string::npos) << json;
  const std::string text = FormatStepText(report);
  EXPECT_NE(text.find("Concurrency: 2"), std::string::npos) << text;
}

TEST(PerfInputs, GeneratesFromMetadataWithTheBatchSize) {
  server::ModelMetadata metadata;
  metadata.name = "m";
  metadata.inputs = {{"X", "FP32", {-1, 4}}, {"T", "INT64", {-1, -1}}, {"S", "BYTES", {2}}};
  PerfInputOptions options;
  options.batch_size = 3;
  options.shapes["T"] = {3, 7};
  auto inputs = MakePerfInputs(metadata, options);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  ASSERT_EQ(inputs->size(), 3u);
  EXPECT_EQ((*inputs)[0].shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ((*inputs)[0].data.size(), 48u);
  EXPECT_EQ((*inputs)[1].shape, (std::vector<int64_t>{3, 7}));
  EXPECT_EQ((*inputs)[1].data, std::string(168, '\0'));
  EXPECT_EQ((*inputs)[2].datatype, "BYTES");
  for (const auto& t : *inputs) EXPECT_TRUE(server::CheckClientTensorSize(t).ok()) << t.name;

  options.shapes["T"] = {3};
  EXPECT_FALSE(MakePerfInputs(metadata, options).ok());
  options.shapes.clear();
  options.files["nope"] = "/dev/null";
  EXPECT_FALSE(MakePerfInputs(metadata, options).ok());
}

}  // namespace
}  // namespace kiln::perf
