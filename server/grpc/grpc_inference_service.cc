#include "server/grpc/grpc_inference_service.h"

#include <memory>
#include <string>
#include <utility>

#include "server/grpc/grpc_infer_request_decoder.h"
#include "server/grpc/grpc_infer_response_encoder.h"
#include "server/grpc/grpc_statistics_encoder.h"
#include "server/grpc/grpc_status.h"
#include "server/grpc/grpc_stream_infer_reactor.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {
namespace {

using Reactor = ::grpc::ServerUnaryReactor;

Reactor* FinishNow(::grpc::CallbackServerContext* context, const ::grpc::Status& status) {
  Reactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

Reactor* FinishNow(::grpc::CallbackServerContext* context, const Status& status) {
  return FinishNow(context, GrpcStatusFor(status));
}

Reactor* Unsupported(::grpc::CallbackServerContext* context, const char* what) {
  return FinishNow(context, ::grpc::Status(::grpc::StatusCode::UNIMPLEMENTED, std::string(what) +
                                                                                  " is not supported by Kiln"));
}

void SetTensorMetadata(const TensorMetadata& from, inference::ModelMetadataResponse::TensorMetadata* to) {
  to->set_name(from.name);
  to->set_datatype(from.datatype);
  for (int64_t d : from.shape) to->add_shape(d);
}

// The repository extension's load parameters: "config" (a JSON model
// configuration) is honoured; file overrides ("file:..." contents) are not
// supported; other keys are ignored, as Triton does.
Result<LoadModelOptions> LoadOptionsFrom(const inference::RepositoryModelLoadRequest& request) {
  LoadModelOptions options;
  for (const auto& [key, value] : request.parameters()) {
    if (key == "config") {
      if (value.parameter_choice_case() != inference::ModelRepositoryParameter::kStringParam) {
        return Status::InvalidArgument("load parameter 'config' must be a string holding the JSON model configuration");
      }
      options.config_json = value.string_param();
    } else if (key.rfind("file:", 0) == 0) {
      return Status::Unimplemented("load parameter '" + key + "': loading model files from the request is not supported");
    }
  }
  return options;
}

}  // namespace

GrpcInferenceService::GrpcInferenceService(InferenceService& service) : service_(service) {
  SetMessageAllocatorFor_ModelInfer(&infer_allocator_);
}

Reactor* GrpcInferenceService::ServerLive(Context* context, const inference::ServerLiveRequest*,
                                          inference::ServerLiveResponse* response) {
  response->set_live(service_.IsLive());
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ServerReady(Context* context, const inference::ServerReadyRequest*,
                                           inference::ServerReadyResponse* response) {
  response->set_ready(service_.IsReady());
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ModelReady(Context* context, const inference::ModelReadyRequest* request,
                                          inference::ModelReadyResponse* response) {
  Result<bool> ready = service_.IsModelReady(request->name(), request->version());
  if (!ready.ok()) return FinishNow(context, ready.status());
  response->set_ready(*ready);
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ServerMetadata(Context* context, const inference::ServerMetadataRequest*,
                                              inference::ServerMetadataResponse* response) {
  const kiln::server::ServerMetadata metadata = service_.GetServerMetadata();
  response->set_name(metadata.name);
  response->set_version(metadata.version);
  for (const std::string& extension : metadata.extensions) response->add_extensions(extension);
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ModelMetadata(Context* context, const inference::ModelMetadataRequest* request,
                                             inference::ModelMetadataResponse* response) {
  Result<kiln::server::ModelMetadata> metadata = service_.GetModelMetadata(request->name(), request->version());
  if (!metadata.ok()) return FinishNow(context, metadata.status());
  response->set_name(metadata->name);
  for (const std::string& version : metadata->versions) response->add_versions(version);
  response->set_platform(metadata->platform);
  for (const TensorMetadata& input : metadata->inputs) SetTensorMetadata(input, response->add_inputs());
  for (const TensorMetadata& output : metadata->outputs) SetTensorMetadata(output, response->add_outputs());
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ModelInfer(Context* context, const inference::ModelInferRequest* request,
                                          inference::ModelInferResponse* response) {
  // The allocator registered in the constructor holds the request in a
  // shared_ptr that decoded tensors may share.
  auto* holder = dynamic_cast<SharedInferMessageAllocator::Holder*>(context->GetRpcAllocatorState());
  std::shared_ptr<const inference::ModelInferRequest> shared_request =
      holder != nullptr ? holder->shared_request() : std::make_shared<inference::ModelInferRequest>(*request);

  Result<DecodedGrpcInferRequest> decoded = DecodeGrpcInferRequest(std::move(shared_request));
  if (!decoded.ok()) return FinishNow(context, InferRequestError(service_, *request, decoded.status()));

  Reactor* reactor = context->DefaultReactor();
  const bool typed_contents = decoded->typed_contents;
  service_.Infer(std::move(decoded->request), [reactor, response, typed_contents](Result<InferResponse> result) {
    if (!result.ok()) {
      reactor->Finish(GrpcStatusFor(result.status()));
      return;
    }
    reactor->Finish(GrpcStatusFor(EncodeGrpcInferResponse(*result, typed_contents, response)));
  });
  return reactor;
}

::grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>*
GrpcInferenceService::ModelStreamInfer(Context*) {
  return new GrpcStreamInferReactor(service_);
}

Reactor* GrpcInferenceService::ModelConfig(Context* context, const inference::ModelConfigRequest* request,
                                           inference::ModelConfigResponse* response) {
  Result<std::shared_ptr<const inference::ModelConfig>> config =
      service_.GetModelConfig(request->name(), request->version());
  if (!config.ok()) return FinishNow(context, config.status());
  if (*config == nullptr) {
    return FinishNow(context, Status::Internal("model '" + request->name() + "' has no configuration"));
  }
  *response->mutable_config() = **config;
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::ModelStatistics(Context* context, const inference::ModelStatisticsRequest* request,
                                               inference::ModelStatisticsResponse* response) {
  if (request->name().empty() && !request->version().empty()) {
    return FinishNow(context, Status::InvalidArgument("a statistics request naming a version must name its model"));
  }
  Result<std::vector<ModelStatisticsSnapshot>> snapshots =
      service_.GetModelStatistics(request->name(), request->version());
  if (!snapshots.ok()) return FinishNow(context, snapshots.status());
  for (const ModelStatisticsSnapshot& snapshot : *snapshots) {
    EncodeGrpcModelStatistics(snapshot, response->add_model_stats());
  }
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::RepositoryIndex(Context* context, const inference::RepositoryIndexRequest* request,
                                               inference::RepositoryIndexResponse* response) {
  for (const RepositoryIndexEntry& entry : service_.GetRepositoryIndex(request->ready())) {
    inference::RepositoryIndexResponse::ModelIndex* model = response->add_models();
    model->set_name(entry.name);
    model->set_version(entry.version);
    model->set_state(entry.state);
    model->set_reason(entry.reason);
  }
  return FinishNow(context, ::grpc::Status::OK);
}

Reactor* GrpcInferenceService::RepositoryModelLoad(Context* context,
                                                   const inference::RepositoryModelLoadRequest* request,
                                                   inference::RepositoryModelLoadResponse*) {
  if (request->model_name().empty()) return FinishNow(context, Status::InvalidArgument("model_name is empty"));
  Result<LoadModelOptions> options = LoadOptionsFrom(*request);
  if (!options.ok()) return FinishNow(context, options.status());
  Reactor* reactor = context->DefaultReactor();
  blocking_worker_.Submit([this, reactor, model = request->model_name(), options = std::move(*options)] {
    reactor->Finish(GrpcStatusFor(service_.LoadModel(model, options)));
  });
  return reactor;
}

Reactor* GrpcInferenceService::RepositoryModelUnload(Context* context,
                                                     const inference::RepositoryModelUnloadRequest* request,
                                                     inference::RepositoryModelUnloadResponse*) {
  if (request->model_name().empty()) return FinishNow(context, Status::InvalidArgument("model_name is empty"));
  Reactor* reactor = context->DefaultReactor();
  blocking_worker_.Submit([this, reactor, model = request->model_name()] {
    reactor->Finish(GrpcStatusFor(service_.UnloadModel(model)));
  });
  return reactor;
}

Reactor* GrpcInferenceService::SystemSharedMemoryStatus(Context* context,
                                                        const inference::SystemSharedMemoryStatusRequest*,
                                                        inference::SystemSharedMemoryStatusResponse*) {
  return Unsupported(context, "system shared memory");
}

Reactor* GrpcInferenceService::SystemSharedMemoryRegister(Context* context,
                                                          const inference::SystemSharedMemoryRegisterRequest*,
                                                          inference::SystemSharedMemoryRegisterResponse*) {
  return Unsupported(context, "system shared memory");
}

Reactor* GrpcInferenceService::SystemSharedMemoryUnregister(Context* context,
                                                            const inference::SystemSharedMemoryUnregisterRequest*,
                                                            inference::SystemSharedMemoryUnregisterResponse*) {
  return Unsupported(context, "system shared memory");
}

Reactor* GrpcInferenceService::CudaSharedMemoryStatus(Context* context,
                                                      const inference::CudaSharedMemoryStatusRequest*,
                                                      inference::CudaSharedMemoryStatusResponse*) {
  return Unsupported(context, "CUDA shared memory");
}

Reactor* GrpcInferenceService::CudaSharedMemoryRegister(Context* context,
                                                        const inference::CudaSharedMemoryRegisterRequest*,
                                                        inference::CudaSharedMemoryRegisterResponse*) {
  return Unsupported(context, "CUDA shared memory");
}

Reactor* GrpcInferenceService::CudaSharedMemoryUnregister(Context* context,
                                                          const inference::CudaSharedMemoryUnregisterRequest*,
                                                          inference::CudaSharedMemoryUnregisterResponse*) {
  return Unsupported(context, "CUDA shared memory");
}

Reactor* GrpcInferenceService::TraceSetting(Context* context, const inference::TraceSettingRequest*,
                                            inference::TraceSettingResponse*) {
  return Unsupported(context, "trace setting");
}

Reactor* GrpcInferenceService::LogSettings(Context* context, const inference::LogSettingsRequest*,
                                           inference::LogSettingsResponse*) {
  return Unsupported(context, "changing log settings at run time");
}

}  // namespace kiln::server
