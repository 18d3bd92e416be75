#include "server/grpc/grpc_status.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

TEST(GrpcStatus, MapsEveryCodeAsTheInterfaceDocuments) {
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kOk), ::grpc::StatusCode::OK);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kInvalidArgument), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kNotFound), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kUnavailable), ::grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kResourceExhausted), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kUnimplemented), ::grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kInternal), ::grpc::StatusCode::INTERNAL);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kFailedPrecondition), ::grpc::StatusCode::INTERNAL);
  EXPECT_EQ(GrpcStatusCodeFor(StatusCode::kOutOfRange), ::grpc::StatusCode::INTERNAL);
}

TEST(GrpcStatus, KeepsTheMessage) {
  const ::grpc::Status status = GrpcStatusFor(Status::NotFound("unknown model 'x'"));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "unknown model 'x'");
  EXPECT_TRUE(GrpcStatusFor(Status::Ok()).ok());
}

}  // namespace
}  // namespace kiln::server
