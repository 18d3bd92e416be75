#include "tools/perf/load_generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

namespace kiln::perf {
namespace {

using Clock = std::chrono::steady_clock;

// What one sending thread saw; merged after the step.
struct ThreadTally {
  uint64_t succeeded = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
  uint64_t sent_late = 0;
  std::string first_error;
  std::vector<double> latencies_us;
  std::vector<double> rejected_latencies_us;

  void Record(const Status& status, Clock::time_point sent, Clock::time_point done) {
    const double us = std::chrono::duration<double, std::micro>(done - sent).count();
    if (status.ok()) {
      ++succeeded;
      latencies_us.push_back(us);
    } else if (status.code() == StatusCode::kResourceExhausted) {
      ++rejected;
      rejected_latencies_us.push_back(us);
    } else {
      ++failed;
      if (first_error.empty()) first_error = status.ToString();
    }
  }
};

struct Window {
  Clock::time_point start;
  Clock::time_point end;
  bool Contains(Clock::time_point t) const { return t >= start && t < end; }
};

}  // namespace

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

Result<StepMeasurement> RunLoadStep(const ClientFactory& make_client, const LoadStep& step,
                                    const LoadSettings& settings) {
  if ((step.concurrency > 0) == (step.request_rate > 0)) {
    return Status::InvalidArgument("a load step needs either a concurrency or a request rate");
  }
  const bool rate_mode = step.request_rate > 0;
  const bool pipelined = settings.make_pipeline != nullptr;
  const int threads = pipelined ? 1 : rate_mode ? std::max(1, settings.rate_threads) : step.concurrency;

  // Connect every client before the clock starts.
  std::vector<std::unique_ptr<server::InferenceClient>> clients;
  std::unique_ptr<server::GrpcInferPipeline> pipeline;
  if (pipelined) {
    KILN_ASSIGN_OR_RETURN(pipeline,
                          settings.make_pipeline(rate_mode ? std::max(1, settings.rate_threads) : step.concurrency));
  } else {
    for (int i = 0; i < threads; ++i) {
      KILN_ASSIGN_OR_RETURN(auto client, make_client());
      clients.push_back(std::move(client));
    }
  }

  const Clock::time_point begin = Clock::now();
  const Window window{begin + settings.warmup, begin + settings.warmup + settings.window};
  std::vector<ThreadTally> tallies(static_cast<size_t>(threads));
  std::atomic<uint64_t> next_slot{0};
  const std::chrono::duration<double> interval(rate_mode ? 1.0 / step.request_rate : 0.0);

  auto concurrency_loop = [&](size_t t) {
    server::InferenceClient& client = *clients[t];
    while (Clock::now() < window.end) {
      const Clock::time_point sent = Clock::now();
      auto result = client.Infer(settings.model, settings.version, settings.inputs);
      const Clock::time_point done = Clock::now();
      if (window.Contains(done)) tallies[t].Record(result.status(), sent, done);
    }
  };
  auto pipeline_loop = [&] {
    if (!rate_mode) {
      pipeline->Run(settings.model, settings.version, settings.inputs, window.end,
                    [&](const Status& status, Clock::time_point sent, Clock::time_point done) {
                      if (window.Contains(done)) tallies[0].Record(status, sent, done);
                    });
      return;
    }
    pipeline->RunAtRate(settings.model, settings.version, settings.inputs, step.request_rate, begin, window.end,
                        [&](const Status& status, Clock::time_point due, Clock::time_point sent, Clock::time_point done) {
                          if (!window.Contains(done)) return;
                          tallies[0].Record(status, sent, done);
                          if (sent - due > std::chrono::milliseconds(1)) ++tallies[0].sent_late;
                        });
  };
  auto rate_loop = [&](size_t t) {
    server::InferenceClient& client = *clients[t];
    for (;;) {
      const uint64_t slot = next_slot.fetch_add(1);
      const Clock::time_point due =
          begin + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(slot));
      if (due >= window.end) return;
      std::this_thread::sleep_until(due);
      const Clock::time_point sent = Clock::now();
      auto result = client.Infer(settings.model, settings.version, settings.inputs);
      const Clock::time_point done = Clock::now();
      if (window.Contains(done)) {
        tallies[t].Record(result.status(), sent, done);
        if (sent - due > std::chrono::milliseconds(1)) ++tallies[t].sent_late;
      }
    }
  };

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (pipelined) {
        pipeline_loop();
      } else if (rate_mode) {
        rate_loop(static_cast<size_t>(t));
      } else {
        concurrency_loop(static_cast<size_t>(t));
      }
    });
  }
  std::this_thread::sleep_until(window.start);
  if (settings.on_window_start) settings.on_window_start();
  std::this_thread::sleep_until(window.end);
  if (settings.on_window_end) settings.on_window_end();
  for (std::thread& worker : workers) worker.join();

  StepMeasurement m;
  m.step = step;
  m.window_s = std::chrono::duration<double>(window.end - window.start).count();
  for (ThreadTally& tally : tallies) {
    m.succeeded += tally.succeeded;
    m.rejected += tally.rejected;
    m.failed += tally.failed;
    m.sent_late += tally.sent_late;
    if (m.first_error.empty()) m.first_error = tally.first_error;
    m.latencies_us.insert(m.latencies_us.end(), tally.latencies_us.begin(), tally.latencies_us.end());
    m.rejected_latencies_us.insert(m.rejected_latencies_us.end(), tally.rejected_latencies_us.begin(),
                                   tally.rejected_latencies_us.end());
  }
  std::sort(m.latencies_us.begin(), m.latencies_us.end());
  std::sort(m.rejected_latencies_us.begin(), m.rejected_latencies_us.end());
  return m;
}

}  // namespace kiln::perf
