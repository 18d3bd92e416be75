// Translation of kiln::Status codes to gRPC status codes: the one place where
// the gRPC front-end decides what a client sees for an error (see the mapping
// in server/core/inference_service.h). Stateless; thread-safe.
#pragma once

#include <grpcpp/support/status.h>

#include "engine/core/status.h"

namespace kiln::server {

// InvalidArgument → INVALID_ARGUMENT, NotFound → NOT_FOUND, Unavailable →
// UNAVAILABLE, ResourceExhausted → RESOURCE_EXHAUSTED, Unimplemented →
// UNIMPLEMENTED, ok → OK, every other code → INTERNAL. The message is kept.
::grpc::StatusCode GrpcStatusCodeFor(StatusCode code);
::grpc::Status GrpcStatusFor(const Status& status);

}  // namespace kiln::server
