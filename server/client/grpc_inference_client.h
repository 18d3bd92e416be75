// GrpcInferenceClient: InferenceClient over KServe v2 gRPC
// (inference.GRPCInferenceService from server/proto/grpc_service.proto),
// with tensors in raw_input_contents / raw_output_contents. Each client
// owns its own channel (a local subchannel pool), so clients in different
// threads use separate connections, as separate client processes would.
// Not thread-safe: one per thread.
#pragma once

#include <memory>
#include <string>

#include "server/client/inference_client.h"

namespace grpc {
class Status;
}  // namespace grpc

namespace inference {
class ModelInferRequest;
class ModelInferResponse;
class ModelStatisticsResponse;
class ModelMetadataResponse;
}  // namespace inference

namespace kiln::server {

class GrpcInferenceClient final : public InferenceClient {
 public:
  static Result<std::unique_ptr<GrpcInferenceClient>> Create(const std::string& host, const std::string& port);
  ~GrpcInferenceClient() override;

  Result<bool> IsServerLive() override;
  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) override;
  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string& version) override;
  Result<std::vector<ClientTensor>> Infer(const std::string& model, const std::string& version,
                                          const std::vector<ClientTensor>& inputs) override;

 private:
  struct Stub;  // the generated stub and its channel
  explicit GrpcInferenceClient(std::unique_ptr<Stub> stub);
  std::unique_ptr<Stub> stub_;
};

// A failed gRPC status as a kiln::Status (RESOURCE_EXHAUSTED → ResourceExhausted, ...;
// OK is not a failure: check it first).
Status StatusFromGrpc(const grpc::Status& status);

// Message conversions, exposed for tests.
void FillGrpcInferRequest(const std::string& model, const std::string& version,
                          const std::vector<ClientTensor>& inputs, inference::ModelInferRequest& request);
Result<std::vector<ClientTensor>> DecodeGrpcInferResponse(const inference::ModelInferResponse& response);
ModelMetadata DecodeGrpcModelMetadata(const inference::ModelMetadataResponse& response);
std::vector<ModelStatisticsSnapshot> DecodeGrpcModelStatistics(const inference::ModelStatisticsResponse& response);

}  // namespace kiln::server
