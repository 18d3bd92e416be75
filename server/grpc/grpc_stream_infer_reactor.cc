#include "server/grpc/grpc_stream_infer_reactor.h"

#include <utility>

#include "server/grpc/grpc_infer_request_decoder.h"
#include "server/grpc/grpc_infer_response_encoder.h"

namespace kiln::server {
namespace {

std::unique_ptr<inference::ModelStreamInferResponse> ErrorResponse(const inference::ModelInferRequest& request,
                                                                   const Status& status) {
  auto response = std::make_unique<inference::ModelStreamInferResponse>();
  response->set_error_message(status.message().empty() ? status.ToString() : status.message());
  inference::ModelInferResponse* echo = response->mutable_infer_response();
  echo->set_model_name(request.model_name());
  echo->set_model_version(request.model_version());
  echo->set_id(request.id());
  return response;
}

}  // namespace

GrpcStreamInferReactor::GrpcStreamInferReactor(InferenceService& service) : service_(service) { StartNextRead(); }

void GrpcStreamInferReactor::StartNextRead() {
  reading_ = std::make_shared<inference::ModelInferRequest>();
  StartRead(reading_.get());
}

void GrpcStreamInferReactor::OnReadDone(bool ok) {
  if (!ok) {
    NextStep step;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reads_done_ = true;
      step = NextStepLocked();
    }
    Advance(step);
    return;
  }
  std::shared_ptr<const inference::ModelInferRequest> request = std::move(reading_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++in_flight_;
  }
  StartNextRead();

  Result<DecodedGrpcInferRequest> decoded = DecodeGrpcInferRequest(request);
  if (!decoded.ok()) {
    Complete(ErrorResponse(*request, InferRequestError(service_, *request, decoded.status())));
    return;
  }
  const bool typed_contents = decoded->typed_contents;
  service_.Infer(std::move(decoded->request), [this, request, typed_contents](Result<InferResponse> result) {
    if (!result.ok()) {
      Complete(ErrorResponse(*request, result.status()));
      return;
    }
    auto response = std::make_unique<inference::ModelStreamInferResponse>();
    const Status encoded = EncodeGrpcInferResponse(*result, typed_contents, response->mutable_infer_response());
    Complete(encoded.ok() ? std::move(response) : ErrorResponse(*request, encoded));
  });
}

void GrpcStreamInferReactor::Complete(std::unique_ptr<Response> response) {
  NextStep step;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_flight_;
    if (!broken_) queue_.push_back(std::move(response));
    step = NextStepLocked();
  }
  Advance(step);
}

void GrpcStreamInferReactor::OnWriteDone(bool ok) {
  NextStep step;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_.reset();
    if (!ok) {
      broken_ = true;
      queue_.clear();
    }
    step = NextStepLocked();
  }
  Advance(step);
}

void GrpcStreamInferReactor::OnCancel() {
  NextStep step;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    broken_ = true;
    queue_.clear();
    step = NextStepLocked();
  }
  Advance(step);
}

void GrpcStreamInferReactor::OnDone() { delete this; }

GrpcStreamInferReactor::NextStep GrpcStreamInferReactor::NextStepLocked() {
  NextStep step;
  if (finished_ || writing_) return step;
  if (!queue_.empty()) {
    writing_ = std::move(queue_.front());
    queue_.pop_front();
    step.write = writing_.get();
    return step;
  }
  if (reads_done_ && in_flight_ == 0) {
    finished_ = true;
    step.finish = true;
    step.cancelled = broken_;
  }
  return step;
}

void GrpcStreamInferReactor::Advance(const NextStep& step) {
  if (step.write != nullptr) {
    StartWrite(step.write);
  } else if (step.finish) {
    Finish(step.cancelled ? ::grpc::Status::CANCELLED : ::grpc::Status::OK);
  }
}

}  // namespace kiln::server
