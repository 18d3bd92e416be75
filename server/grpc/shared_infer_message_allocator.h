// A gRPC message allocator for ModelInfer that keeps each request message in
// a shared_ptr, so tensors decoded from it can borrow its bytes (no copy) and
// keep it alive for as long as the engine holds them — even past the end of
// the RPC. The response message lives until gRPC releases the holder.
// Thread-safe: gRPC calls AllocateMessages concurrently; each holder belongs
// to one RPC.
#pragma once

#include <memory>

#include <grpcpp/support/message_allocator.h>

#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

class SharedInferMessageAllocator
    : public ::grpc::MessageAllocator<inference::ModelInferRequest, inference::ModelInferResponse> {
 public:
  class Holder : public ::grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse> {
   public:
    Holder() : request_(std::make_shared<inference::ModelInferRequest>()) {
      set_request(request_.get());
      set_response(&response_);
    }
    void Release() override { delete this; }
    std::shared_ptr<const inference::ModelInferRequest> shared_request() const { return request_; }

   private:
    std::shared_ptr<inference::ModelInferRequest> request_;
    inference::ModelInferResponse response_;
  };

  ::grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse>* AllocateMessages() override {
    return new Holder();
  }
};

}  // namespace kiln::server
