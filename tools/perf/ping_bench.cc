// kiln_ping_bench PROTOCOL HOST:PORT [SECONDS] [CONCURRENCY]: the floor of
// one protocol round trip on this machine — a running server's liveness
// check (gRPC ServerLive, HTTP GET /v2/health/live) called back to back by
// the same client `kiln perf` uses (one client and connection per thread,
// CONCURRENCY threads, default 1), no model involved. Prints calls/s and
// p50/p90/p99 in µs. Serving overhead (bench/serving.sh) minus this floor is
// the part of a request's round trip that Kiln's inference path adds; the
// calls/s at concurrency 16 bound what any model can reach through the
// protocol when client and server share the machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/client/inference_client.h"
#include "server/core/lock_order_checks.h"
#include "tools/perf/load_generator.h"

int main(int argc, char** argv) {
  using namespace kiln;
  using Clock = std::chrono::steady_clock;
  server::DisableLockOrderChecks();  // as `kiln` does
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s grpc|http HOST:PORT [SECONDS]\n", argv[0]);
    return 2;
  }
  const std::string protocol = argv[1];
  if (protocol != "grpc" && protocol != "http") {
    std::fprintf(stderr, "protocol must be grpc or http, not '%s'\n", protocol.c_str());
    return 2;
  }
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5.0;
  const int concurrency = argc > 4 ? std::max(1, std::atoi(argv[4])) : 1;
  const server::ClientProtocol kind = protocol == "grpc" ? server::ClientProtocol::kGrpc : server::ClientProtocol::kHttp;
  std::vector<std::unique_ptr<server::InferenceClient>> clients;
  for (int i = 0; i < concurrency; ++i) {
    auto client = server::InferenceClient::Create(kind, argv[2]);
    if (!client.ok()) {
      std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
      return 1;
    }
    clients.push_back(std::move(*client));
  }
  const Clock::time_point warm_until = Clock::now() + std::chrono::milliseconds(500);
  const Clock::time_point end = warm_until + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(seconds));
  std::vector<std::vector<double>> per_thread(clients.size());
  std::vector<std::string> errors(clients.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < clients.size(); ++t) {
    threads.emplace_back([&, t] {
      for (Clock::time_point sent = Clock::now(); sent < end; sent = Clock::now()) {
        Result<bool> live = clients[t]->IsServerLive();
        const Clock::time_point done = Clock::now();
        if (!live.ok()) {
          errors[t] = live.status().ToString();
          return;
        }
        if (sent >= warm_until) per_thread[t].push_back(std::chrono::duration<double, std::micro>(done - sent).count());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<double> latencies_us;
  for (size_t t = 0; t < clients.size(); ++t) {
    if (!errors[t].empty()) {
      std::fprintf(stderr, "%s\n", errors[t].c_str());
      return 1;
    }
    latencies_us.insert(latencies_us.end(), per_thread[t].begin(), per_thread[t].end());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  std::printf("%s liveness round trip, concurrency %d: %.0f calls/s, p50 %.1f us, p90 %.1f us, p99 %.1f us\n",
              protocol.c_str(), concurrency, static_cast<double>(latencies_us.size()) / seconds,
              perf::Percentile(latencies_us, 50), perf::Percentile(latencies_us, 90),
              perf::Percentile(latencies_us, 99));
  return 0;
}
