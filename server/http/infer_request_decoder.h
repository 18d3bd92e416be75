// Decodes the body of a KServe v2 HTTP inference request (POST
// .../infer) into the protocol-neutral InferRequest.
//
// The body is JSON, optionally followed by binary tensor data (the binary
// tensor data extension: the Inference-Header-Content-Length header gives the
// JSON's length; each input with parameters.binary_data_size takes that many
// bytes, in input order, little-endian raw elements, BYTES elements as a
// 4-byte little-endian length then the bytes). Binary numeric inputs are
// borrowed from the body (Tensor::Borrow; the tensor keeps the body alive)
// when suitably aligned, so their bytes are not copied. JSON `data` may be
// flat or nested to any depth up to kMaxDataNesting; its element count must
// equal the shape's.
//
// Every problem is InvalidArgument with a message naming the input and the
// field. Stateless functions: thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/http/request_buffer.h"

namespace kiln::server {

inline constexpr int kMaxDataNesting = 32;

// How the HTTP front-end is asked to return each output.
struct HttpOutputFormat {
  bool binary_by_default = false;    // request parameter binary_data_output
  std::set<std::string> binary;      // outputs with "binary_data": true
  std::set<std::string> json;        // outputs with "binary_data": false
  bool IsBinary(const std::string& name) const {
    if (binary.count(name) != 0) return true;
    if (json.count(name) != 0) return false;
    return binary_by_default;
  }
};

struct DecodedInferRequest {
  InferRequest request;
  HttpOutputFormat output_format;
};

// `header_length`: the Inference-Header-Content-Length header value, absent
// when the body is JSON only. `model` / `version` come from the URL.
Result<DecodedInferRequest> DecodeInferRequest(const std::shared_ptr<RequestBuffer>& body,
                                               std::optional<std::string_view> header_length, std::string model,
                                               std::string version);

}  // namespace kiln::server
