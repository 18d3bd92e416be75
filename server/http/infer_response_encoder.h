// Encodes an InferResponse as the body of a KServe v2 HTTP inference
// response: JSON, with the outputs chosen by HttpOutputFormat appended as
// binary tensor data (parameters.binary_data_size in the output, the JSON's
// length in the Inference-Header-Content-Length response header).
//
// JSON data is flat (row-major); FP16/BF16 print as numbers, BOOL as
// true/false, BYTES as strings. Binary data is little-endian raw, BYTES
// elements 4-byte length-prefixed. Stateless: thread-safe.
#pragma once

#include <optional>
#include <string>

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/http/infer_request_decoder.h"

namespace kiln::server {

struct EncodedInferResponse {
  std::string body;
  // Set when binary data follows the JSON: the JSON's length.
  std::optional<size_t> json_size;
};

// Internal when an output's dtype has no v2 datatype (e.g. complex).
Result<EncodedInferResponse> EncodeInferResponse(const InferResponse& response, const HttpOutputFormat& format);

}  // namespace kiln::server
