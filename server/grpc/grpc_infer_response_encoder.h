// Encodes the protocol-neutral InferResponse into a gRPC ModelInferResponse.
//
// Output data goes to raw_output_contents (one entry per output, in output
// order; BYTES as 4-byte-length-prefixed elements) unless the request sent
// typed InferTensorContents, in which case each output answers in the typed
// list for its datatype — except when any output is FP16 or BF16, which only
// the raw form can carry (and the two forms cannot be mixed in one response).
// Output bytes are copied once, into the message. Stateless; thread-safe.
#pragma once

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

// Internal for an output whose tensor the v2 protocol cannot carry (no v2
// datatype, undefined tensor).
Status EncodeGrpcInferResponse(const InferResponse& response, bool typed_contents, inference::ModelInferResponse* out);

}  // namespace kiln::server
