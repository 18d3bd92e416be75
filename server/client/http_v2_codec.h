// The KServe v2 HTTP/REST message bodies a client writes and reads: infer
// requests with the binary tensor data extension, infer responses (binary
// or JSON data), model metadata, the statistics extension and error bodies.
//
// Pure functions (rapidjson inside); safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "server/client/client_tensor.h"
#include "server/core/inference_service.h"
#include "server/core/model_statistics.h"

namespace kiln::server {

struct HttpInferBody {
  std::string body;          // JSON header followed by every input's raw bytes
  size_t header_length = 0;  // the Inference-Header-Content-Length value
};

// An infer request carrying every input as binary data and asking for every
// output as binary data (binary_data_output).
HttpInferBody EncodeHttpInferRequest(const std::vector<ClientTensor>& inputs);

// Outputs of an infer response. `header_length` is the response's
// Inference-Header-Content-Length (absent: the whole body is JSON and the
// tensors carry "data" arrays).
Result<std::vector<ClientTensor>> DecodeHttpInferResponse(std::string_view body,
                                                          std::optional<size_t> header_length);

Result<ModelMetadata> DecodeHttpModelMetadata(std::string_view json);
Result<std::vector<ModelStatisticsSnapshot>> DecodeHttpModelStatistics(std::string_view json);

// The message of an error body ({"error": "..."}), else the body itself.
std::string DecodeHttpError(std::string_view body);

}  // namespace kiln::server
