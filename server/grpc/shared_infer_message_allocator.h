// A gRPC message allocator for ModelInfer that keeps each request message in
// a shared_ptr, so tensors decoded from it can borrow its bytes (no copy) and
// keep it alive for as long as the engine holds them — even past the end of
// the RPC. The response message lives until gRPC releases the holder.
//
// Both messages of an RPC live on one protobuf Arena whose first block is
// part of the same allocation: parsing the request (names, datatypes,
// shapes, parameters, the raw contents' string objects) and building the
// response then cost no malloc/free per field, and freeing them is one
// arena reset instead of a destructor walk. Tensor bytes larger than a
// std::string's inline buffer still live on the heap (as without an arena).
// Thread-safe: gRPC calls AllocateMessages concurrently; each holder belongs
// to one RPC.
#pragma once

#include <memory>

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

class SharedInferMessageAllocator
    : public ::grpc::MessageAllocator<inference::ModelInferRequest, inference::ModelInferResponse> {
 public:
  // One RPC's arena and its two messages; shared by the holder and by every
  // tensor borrowing from the request.
  class Messages {
   public:
    // Bytes of the arena's first block, allocated with the Messages: enough
    // for a small request and its answer (the `simple` model's take ~1 KiB).
    static constexpr size_t kInitialBlockBytes = 4096;

    Messages() : arena_(Options(initial_block_)) {
      request_ = google::protobuf::Arena::CreateMessage<inference::ModelInferRequest>(&arena_);
      response_ = google::protobuf::Arena::CreateMessage<inference::ModelInferResponse>(&arena_);
    }
    Messages(const Messages&) = delete;
    Messages& operator=(const Messages&) = delete;

    inference::ModelInferRequest* request() { return request_; }
    inference::ModelInferResponse* response() { return response_; }

   private:
    static google::protobuf::ArenaOptions Options(char* block) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = kInitialBlockBytes;
      return options;
    }

    alignas(16) char initial_block_[kInitialBlockBytes];  // declared first: outlives the arena
    google::protobuf::Arena arena_;
    inference::ModelInferRequest* request_ = nullptr;    // owned by arena_
    inference::ModelInferResponse* response_ = nullptr;  // owned by arena_
  };

  class Holder : public ::grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse> {
   public:
    Holder() : messages_(std::make_shared<Messages>()) {
      set_request(messages_->request());
      set_response(messages_->response());
    }
    void Release() override { delete this; }
    // The request, kept alive (with its arena) by the pointer.
    std::shared_ptr<const inference::ModelInferRequest> shared_request() const {
      return std::shared_ptr<const inference::ModelInferRequest>(messages_, messages_->request());
    }

   private:
    std::shared_ptr<Messages> messages_;
  };

  ::grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse>* AllocateMessages() override {
    return new Holder();
  }
};

}  // namespace kiln::server
