// The server side of one ModelStreamInfer call (bidirectional stream).
//
// Each ModelInferRequest read from the stream is decoded and handed to
// InferenceService::Infer at once (several may be in flight; the next read
// starts before the previous request finishes); each produces exactly one
// ModelStreamInferResponse, written in completion order — clients match
// responses by request id. A request that fails (bad input, unknown model,
// engine error) answers with error_message set and the stream goes on.
// When the client closes its side, the call ends with OK after the last
// response is written; on cancellation it ends CANCELLED once every request
// in flight has come back from the service.
//
// Ownership: created by GrpcInferenceService for gRPC, deletes itself in
// OnDone. Thread-safety: gRPC reactions and service callbacks may run on any
// thread; shared state is guarded by mutex_, and gRPC operations are started
// outside it.
#pragma once

#include <deque>
#include <memory>
#include <mutex>

#include <grpcpp/support/server_callback.h>

#include "server/core/inference_service.h"
#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

class GrpcStreamInferReactor
    : public ::grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse> {
 public:
  explicit GrpcStreamInferReactor(InferenceService& service);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  using Response = inference::ModelStreamInferResponse;

  void StartNextRead();
  // Queues the response of one request (null: the request's answer was lost
  // to a broken stream) and moves the stream along.
  void Complete(std::unique_ptr<Response> response);
  // Under mutex_: what to start next, run by Advance outside the lock.
  struct NextStep {
    const Response* write = nullptr;
    bool finish = false;
    bool cancelled = false;
  };
  NextStep NextStepLocked();
  void Advance(const NextStep& step);

  InferenceService& service_;
  // The message the outstanding read fills; touched only by the read path,
  // which gRPC runs one reaction at a time.
  std::shared_ptr<inference::ModelInferRequest> reading_;

  std::mutex mutex_;
  std::deque<std::unique_ptr<Response>> queue_;  // ready to write; guarded
  std::unique_ptr<Response> writing_;            // the write in flight; guarded
  int in_flight_ = 0;                            // requests at the service; guarded
  bool reads_done_ = false;                      // client closed or call broken; guarded
  bool broken_ = false;                          // cancelled or a write failed; guarded
  bool finished_ = false;                        // Finish called; guarded
};

}  // namespace kiln::server
