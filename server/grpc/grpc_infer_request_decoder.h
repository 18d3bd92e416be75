// Decodes a gRPC ModelInferRequest into the protocol-neutral InferRequest.
//
// Tensor data is validated against datatype and shape (overflow-safe element
// and byte counts) and arrives either as raw_input_contents (one entry per
// input, in input order) or as InferTensorContents (the list that matches the
// datatype; FP16 and BF16 only raw). Where the wire bytes already have the
// engine's layout (raw numeric data, and int32/int64/uint32/uint64/fp32/fp64
// contents) the tensor borrows them and shares ownership of `message`:
// nothing is copied, and the message lives until the last such tensor is
// gone. The engine must treat input tensors as read-only.
//
// Parameters: "priority" and "timeout" (µs) fill the scheduling fields;
// HTTP-style binary_data flags are ignored; an output's "classification"
// (int > 0) sets RequestedOutput::classification; everything else is kept.
//
// Every problem is InvalidArgument with a message naming the input/output.
// Stateless; thread-safe.
#pragma once

#include <memory>

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/core/inference_service.h"
#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

struct DecodedGrpcInferRequest {
  InferRequest request;
  // True when the client sent typed InferTensorContents: the response then
  // answers in kind; otherwise outputs go to raw_output_contents.
  bool typed_contents = false;
};

Result<DecodedGrpcInferRequest> DecodeGrpcInferRequest(std::shared_ptr<const inference::ModelInferRequest> message);

// The error to answer when decoding `message` failed with `decode_error`:
// NotFound when the model or version it names does not exist (what the HTTP
// front-end answers, whose URL names the model before the body is read),
// else `decode_error`. Costs a lookup on the error path only.
Status InferRequestError(const InferenceService& service, const inference::ModelInferRequest& message,
                         Status decode_error);

}  // namespace kiln::server
