// kiln_scheduler_bench MODEL.onnx [SECONDS] [THREADS] [LENGTH]: dynamic batching in
// process, without any protocol — N client threads each keep one request
// (batch 1; other variable dimensions LENGTH, default 32; floats 0.5,
// integers 1) in a Scheduler over one instance, for N in 1,
// 4, 8, 16, with and without dynamic_batching (max_batch_size 16, no queue
// delay). Prints throughput, latency p50/p99 and the average batch. Isolates
// what batching gains from what the network path costs (bench/serving.sh).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "server/scheduler/scheduler.h"
#include "tools/perf/load_generator.h"

namespace {

using namespace kiln;
using namespace kiln::server;
using Clock = std::chrono::steady_clock;

std::map<std::string, Tensor> MakeInputs(const Session& session, int64_t length) {
  std::map<std::string, Tensor> inputs;
  for (const ir::ValueInfo* info : session.inputs()) {
    Shape shape;
    if (info->type.shape) {
      for (const auto& d : *info->type.shape) shape.push_back(d.is_fixed() ? d.value : shape.empty() ? 1 : length);
    }
    Tensor t = Tensor::Allocate(info->type.elem_type, shape, /*zeroed=*/true);
    if (t.dtype() == DataType::kFloat) std::fill(t.data<float>(), t.data<float>() + t.num_elements(), 0.5f);
    if (t.dtype() == DataType::kInt64) std::fill(t.data<int64_t>(), t.data<int64_t>() + t.num_elements(), 1);
    inputs.emplace(info->name, t);
  }
  return inputs;
}

void Run(std::shared_ptr<const Session> session, int concurrency, bool batching, double seconds, int64_t length) {
  SchedulerOptions options;
  options.model_name = "bench";
  options.max_batch_size = 16;
  if (batching) options.dynamic_batching = DynamicBatchingOptions{};
  auto stats = std::make_shared<ModelStatistics>("bench", "1");
  auto scheduler = std::move(Scheduler::Create(options, {session}, stats)).value();
  const auto inputs = MakeInputs(*session, length);
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(concurrency));
  std::vector<std::thread> clients;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&, c] {
      while (!stop) {
        std::promise<bool> answered;
        auto request = std::make_unique<ScheduledRequest>();
        request->inputs = inputs;
        request->done = [&](Result<std::map<std::string, Tensor>> result, const RequestTimings&) {
          answered.set_value(result.ok());
        };
        const Clock::time_point sent = Clock::now();
        scheduler->Enqueue(std::move(request));
        if (!answered.get_future().get()) return;
        latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& client : clients) client.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const ModelStatisticsSnapshot s = stats->Snapshot();
  std::printf("| %d | %s | %.0f | %.0f | %.0f | %.1f |\n", concurrency, batching ? "on" : "off",
              static_cast<double>(all.size()) / elapsed, kiln::perf::Percentile(all, 50), kiln::perf::Percentile(all, 99),
              s.execution_count ? static_cast<double>(s.inference_count) / static_cast<double>(s.execution_count) : 0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kiln_scheduler_bench MODEL.onnx [SECONDS (3)] [THREADS per instance (1)] [LENGTH (32)]\n");
    return 2;
  }
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  SessionOptions session_options;
  session_options.threads = argc > 3 ? std::stoi(argv[3]) : 1;
  const int64_t length = argc > 4 ? std::stoll(argv[4]) : 32;
  auto session = Session::Create(argv[1], session_options);
  if (!session.ok()) {
    std::fprintf(stderr, "kiln: %s\n", session.status().message().c_str());
    return 1;
  }
  std::shared_ptr<const Session> shared(std::move(session).value());
  std::printf("| concurrency | dynamic batching | infer/s | p50 us | p99 us | avg batch |\n|---|---|---|---|---|---|\n");
  for (int concurrency : {1, 4, 8, 16}) {
    for (bool batching : {false, true}) Run(shared, concurrency, batching, seconds, length);
  }
  return 0;
}
