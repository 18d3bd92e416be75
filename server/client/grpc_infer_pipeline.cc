#include "server/client/grpc_infer_pipeline.h"

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "server/client/grpc_inference_client.h"
#include "server/client/inference_client.h"
#include "server/proto/grpc_service.grpc.pb.h"

namespace kiln::server {

struct GrpcInferPipeline::Channels {
  std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
};

namespace {

// One connection's request in flight.
struct Call {
  std::unique_ptr<grpc::ClientContext> context;
  inference::ModelInferResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
  GrpcInferPipeline::Clock::time_point due;
  GrpcInferPipeline::Clock::time_point sent;
};

Status OutcomeOf(bool ok, const grpc::Status& status) {
  if (!ok) return Status::Unavailable("the gRPC call failed");
  if (!status.ok()) return StatusFromGrpc(status);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<GrpcInferPipeline>> GrpcInferPipeline::Create(const std::string& url, int connections) {
  if (connections < 1) return Status::InvalidArgument("a gRPC pipeline needs at least one connection");
  KILN_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(url, "8001"));
  const std::string& host = host_port.first;
  const std::string target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + host_port.second;
  auto channels = std::make_unique<Channels>();
  for (int i = 0; i < connections; ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    arguments.SetMaxReceiveMessageSize(-1);
    arguments.SetMaxSendMessageSize(-1);
    // gRPC's minimal filter stack: no client-side deadline, message size or
    // compression filters, which a load generator that sets none of them
    // does not need; about 10% less client CPU per request at concurrency 16
    // (docs/performance.md, section 3), CPU the server gets when both share
    // the cores.
    arguments.SetInt(GRPC_ARG_MINIMAL_STACK, 1);
    channels->stubs.push_back(inference::GRPCInferenceService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments)));
  }
  return std::unique_ptr<GrpcInferPipeline>(new GrpcInferPipeline(std::move(channels)));
}

GrpcInferPipeline::GrpcInferPipeline(std::unique_ptr<Channels> channels) : channels_(std::move(channels)) {}
GrpcInferPipeline::~GrpcInferPipeline() = default;

void GrpcInferPipeline::Run(const std::string& model, const std::string& version,
                            const std::vector<ClientTensor>& inputs, Clock::time_point until, const OnDone& on_done) {
  inference::ModelInferRequest request;
  FillGrpcInferRequest(model, version, inputs, request);
  grpc::CompletionQueue queue;
  std::vector<Call> calls(channels_->stubs.size());
  auto send = [&](size_t i) {
    Call& call = calls[i];
    call.context = std::make_unique<grpc::ClientContext>();
    call.response.Clear();
    call.sent = Clock::now();
    call.reader = channels_->stubs[i]->AsyncModelInfer(call.context.get(), request, &queue);
    call.reader->Finish(&call.response, &call.status, reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
  };
  size_t in_flight = 0;
  for (size_t i = 0; i < calls.size(); ++i, ++in_flight) send(i);
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    const Clock::time_point done = Clock::now();
    const size_t i = static_cast<size_t>(reinterpret_cast<uintptr_t>(tag));
    Call& call = calls[i];
    on_done(OutcomeOf(ok, call.status), call.sent, done);
    if (done < until) {
      send(i);
    } else {
      --in_flight;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

void GrpcInferPipeline::RunAtRate(const std::string& model, const std::string& version,
                                  const std::vector<ClientTensor>& inputs, double rate, Clock::time_point start,
                                  Clock::time_point until, const OnDoneAtRate& on_done) {
  inference::ModelInferRequest request;
  FillGrpcInferRequest(model, version, inputs, request);
  grpc::CompletionQueue queue;
  const std::chrono::duration<double> interval(rate > 0 ? 1.0 / rate : 1.0);
  uint64_t next = 0;  // the next request's number on the schedule
  size_t connection = 0;
  size_t outstanding = 0;
  auto due_of = [&](uint64_t k) {
    return start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(k));
  };
  for (;;) {
    Clock::time_point now = Clock::now();
    // Send what is due (after a stall, the backlog leaves as fast as it can,
    // a few at a time so that answers are still taken in between).
    for (int burst = 0; burst < 8 && rate > 0 && due_of(next) <= now && due_of(next) < until; ++burst) {
      auto* call = new Call;
      call->context = std::make_unique<grpc::ClientContext>();
      call->due = due_of(next++);
      call->sent = Clock::now();
      call->reader = channels_->stubs[connection]->AsyncModelInfer(call->context.get(), request, &queue);
      call->reader->Finish(&call->response, &call->status, call);
      connection = (connection + 1) % channels_->stubs.size();
      ++outstanding;
      now = Clock::now();
    }
    const bool sending = rate > 0 && due_of(next) < until;
    if (!sending && outstanding == 0) break;
    void* tag = nullptr;
    bool ok = false;
    // Waits for an answer until the next request is due (behind schedule:
    // a poll), then takes every answer that is ready.
    auto deadline = sending ? std::chrono::system_clock::now() + (due_of(next) - Clock::now())
                            : std::chrono::system_clock::now() + std::chrono::seconds(3600);
    grpc::CompletionQueue::NextStatus got = queue.AsyncNext(&tag, &ok, deadline);
    while (got == grpc::CompletionQueue::GOT_EVENT) {
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      --outstanding;
      on_done(OutcomeOf(ok, call->status), call->due, call->sent, Clock::now());
      got = queue.AsyncNext(&tag, &ok, std::chrono::system_clock::now());
    }
    if (got == grpc::CompletionQueue::SHUTDOWN) break;
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) delete static_cast<Call*>(tag);
}

}  // namespace kiln::server
