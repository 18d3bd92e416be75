// InferenceClient: a blocking KServe v2 client (the calls a load generator
// needs) over HTTP/REST or gRPC — model metadata, statistics and inference.
// Error statuses map back from the protocol: 400/INVALID_ARGUMENT →
// InvalidArgument, 404/NOT_FOUND → NotFound, 429/RESOURCE_EXHAUSTED →
// ResourceExhausted, 503/UNAVAILABLE → Unavailable; a connection failure is
// Unavailable too.
//
// One client holds one connection (HTTP keep-alive, or its own gRPC
// channel). Not thread-safe: use one client per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/client/client_tensor.h"
#include "server/core/inference_service.h"
#include "server/core/model_statistics.h"

namespace kiln::server {

enum class ClientProtocol { kHttp, kGrpc };

class InferenceClient {
 public:
  // `url`: "host:port", optionally prefixed by "http://" (HTTP) — the port
  // defaults to 8000 for HTTP and 8001 for gRPC.
  static Result<std::unique_ptr<InferenceClient>> Create(ClientProtocol protocol, const std::string& url);
  virtual ~InferenceClient() = default;

  // The health extension's liveness check: one bare round trip, no model
  // (what `kiln_ping_bench` times to measure the protocol's own floor).
  virtual Result<bool> IsServerLive() = 0;
  // `version` empty: the server's choice (the newest ready version).
  virtual Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) = 0;
  // The statistics extension; only the fields the protocol carries are set
  // (counts and cumulative durations, batch stats).
  virtual Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                          const std::string& version) = 0;
  // Runs one inference with raw (binary) tensors both ways; every output of
  // the model comes back.
  virtual Result<std::vector<ClientTensor>> Infer(const std::string& model, const std::string& version,
                                                  const std::vector<ClientTensor>& inputs) = 0;
};

// Splits "http://host:port" / "host:port" / "host" into host and port.
Result<std::pair<std::string, std::string>> SplitHostPort(const std::string& url, const std::string& default_port);

}  // namespace kiln::server
