#include "server/grpc/shared_infer_message_allocator.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln::server {
namespace {

TEST(SharedInferMessageAllocatorTest, MessagesLiveOnOneArena) {
  SharedInferMessageAllocator allocator;
  auto* holder = allocator.AllocateMessages();
  ASSERT_NE(holder->request()->GetArena(), nullptr);
  EXPECT_EQ(holder->request()->GetArena(), holder->response()->GetArena());
  holder->Release();
}

TEST(SharedInferMessageAllocatorTest, SharedRequestOutlivesTheHolder) {
  SharedInferMessageAllocator allocator;
  auto* holder = allocator.AllocateMessages();
  const std::string big(100000, 'x');  // beyond the arena's first block
  auto* input = holder->request()->add_inputs();
  input->set_name("INPUT0");
  holder->request()->add_raw_input_contents(big);
  holder->response()->set_model_name("answered");
  auto shared = static_cast<SharedInferMessageAllocator::Holder*>(holder)->shared_request();
  const char* bytes = shared->raw_input_contents(0).data();
  holder->Release();  // gRPC is done with the RPC; a decoded tensor still borrows the bytes
  EXPECT_EQ(shared->inputs(0).name(), "INPUT0");
  EXPECT_EQ(std::string(bytes, big.size()), big);
}

}  // namespace
}  // namespace kiln::server
