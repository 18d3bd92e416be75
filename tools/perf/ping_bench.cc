// kiln_ping_bench PROTOCOL HOST:PORT [SECONDS]: the floor of one protocol
// round trip on this machine — a running server's liveness check (gRPC
// ServerLive, HTTP GET /v2/health/live) called back to back by the same
// client `kiln perf` uses, no model involved. Prints p50/p90/p99 in µs.
// Serving overhead (bench/serving.sh) minus this floor is the part of a
// request's round trip that Kiln's inference path adds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/client/inference_client.h"
#include "tools/perf/load_generator.h"

int main(int argc, char** argv) {
  using namespace kiln;
  using Clock = std::chrono::steady_clock;
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
  auto client = server::InferenceClient::Create(
      protocol == "grpc" ? server::ClientProtocol::kGrpc : server::ClientProtocol::kHttp, argv[2]);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  std::vector<double> latencies_us;
  const Clock::time_point warm_until = Clock::now() + std::chrono::milliseconds(500);
  const Clock::time_point end = warm_until + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(seconds));
  for (Clock::time_point sent = Clock::now(); sent < end; sent = Clock::now()) {
    Result<bool> live = (*client)->IsServerLive();
    const Clock::time_point done = Clock::now();
    if (!live.ok()) {
      std::fprintf(stderr, "%s\n", live.status().ToString().c_str());
      return 1;
    }
    if (sent >= warm_until) latencies_us.push_back(std::chrono::duration<double, std::micro>(done - sent).count());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  std::printf("%s liveness round trip: %zu calls, p50 %.1f us, p90 %.1f us, p99 %.1f us\n", protocol.c_str(),
              latencies_us.size(), perf::Percentile(latencies_us, 50), perf::Percentile(latencies_us, 90),
              perf::Percentile(latencies_us, 99));
  return 0;
}
