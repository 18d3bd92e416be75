// GrpcInferPipeline: keeps N inference requests in flight over N gRPC
// connections from one thread, through gRPC's asynchronous client API —
// each answer sends that connection's next request at once. For a load
// generator at high concurrency: N blocking client threads cost a thread
// switch per request (expensive on a paravirtualized VM), and when client and
// server share the cores that client CPU is taken from the server. Here one
// thread handles every completion, so the client's cost per request falls
// (`kiln perf --async`, docs/performance.md section 3). RunAtRate is the
// open-loop variant: requests leave on a fixed schedule, however many are
// still unanswered, spread over the connections (HTTP/2 multiplexes them).
//
// The request message is built once and reused; responses are checked for
// their gRPC status only (outputs are not decoded); the channels use gRPC's
// minimal filter stack (no deadlines or compression). Not thread-safe: Run
// from one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/client/client_tensor.h"

namespace kiln::server {

class GrpcInferPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  // One answered request: its outcome (ResourceExhausted for the server's
  // overload protection), when it was sent and when it was answered.
  using OnDone = std::function<void(const Status& status, Clock::time_point sent, Clock::time_point done)>;

  // `url`: "host:port" (port 8001 when absent); `connections` >= 1, one
  // request in flight on each.
  static Result<std::unique_ptr<GrpcInferPipeline>> Create(const std::string& url, int connections);
  ~GrpcInferPipeline();

  // Sends on every connection until `until`, then waits for the requests
  // still in flight; `on_done` runs on this thread for each answer.
  void Run(const std::string& model, const std::string& version, const std::vector<ClientTensor>& inputs,
           Clock::time_point until, const OnDone& on_done);
  // Sends request k at `start + k / rate` (per second) until `until`, on the
  // connections in turn, then waits for the answers still outstanding.
  // `on_done` also gets when each request was due (`sent` - `due` > 0: the
  // client fell behind its schedule).
  using OnDoneAtRate = std::function<void(const Status& status, Clock::time_point due, Clock::time_point sent,
                                          Clock::time_point done)>;
  void RunAtRate(const std::string& model, const std::string& version, const std::vector<ClientTensor>& inputs,
                 double rate, Clock::time_point start, Clock::time_point until, const OnDoneAtRate& on_done);

 private:
  struct Channels;  // the stubs and their channels
  explicit GrpcInferPipeline(std::unique_ptr<Channels> channels);
  std::unique_ptr<Channels> channels_;
};

}  // namespace kiln::server
