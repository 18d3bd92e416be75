// GrpcInferenceService: the inference.GRPCInferenceService rpcs on gRPC's
// callback API, translated to InferenceService calls.
//
// ModelInfer returns its reactor at once and finishes it from the
// InferenceService::Infer callback — on a scheduler thread, or inline on
// this gRPC thread when the model's scheduler runs the request at once on
// its caller (short executions only: docs/scheduling.md, "The fast path");
// ModelStreamInfer runs a GrpcStreamInferReactor; model load/unload (which
// block until the model is ready) run on a BlockingCallWorker. Errors map to
// gRPC codes through GrpcStatusFor. Shared-memory, trace and log-settings
// rpcs answer UNIMPLEMENTED.
//
// Ownership: borrows `service` (must outlive this object); registered with
// one grpc::Server by GrpcServer, which destroys the server (all calls done)
// before this object. Thread-safety: every rpc may run concurrently.
#pragma once

#include "server/core/inference_service.h"
#include "server/grpc/blocking_call_worker.h"
#include "server/grpc/shared_infer_message_allocator.h"
#include "server/proto/grpc_service.grpc.pb.h"

namespace kiln::server {

class GrpcInferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  explicit GrpcInferenceService(InferenceService& service);

  // Finishes queued load/unload calls and stops their worker. Call after the
  // grpc::Server has shut down.
  void StopWorker() { blocking_worker_.Stop(); }

  using Context = ::grpc::CallbackServerContext;
  using Reactor = ::grpc::ServerUnaryReactor;

  Reactor* ServerLive(Context* context, const inference::ServerLiveRequest* request,
                      inference::ServerLiveResponse* response) override;
  Reactor* ServerReady(Context* context, const inference::ServerReadyRequest* request,
                       inference::ServerReadyResponse* response) override;
  Reactor* ModelReady(Context* context, const inference::ModelReadyRequest* request,
                      inference::ModelReadyResponse* response) override;
  Reactor* ServerMetadata(Context* context, const inference::ServerMetadataRequest* request,
                          inference::ServerMetadataResponse* response) override;
  Reactor* ModelMetadata(Context* context, const inference::ModelMetadataRequest* request,
                         inference::ModelMetadataResponse* response) override;
  Reactor* ModelInfer(Context* context, const inference::ModelInferRequest* request,
                      inference::ModelInferResponse* response) override;
  ::grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>* ModelStreamInfer(
      Context* context) override;
  Reactor* ModelConfig(Context* context, const inference::ModelConfigRequest* request,
                       inference::ModelConfigResponse* response) override;
  Reactor* ModelStatistics(Context* context, const inference::ModelStatisticsRequest* request,
                           inference::ModelStatisticsResponse* response) override;
  Reactor* RepositoryIndex(Context* context, const inference::RepositoryIndexRequest* request,
                           inference::RepositoryIndexResponse* response) override;
  Reactor* RepositoryModelLoad(Context* context, const inference::RepositoryModelLoadRequest* request,
                               inference::RepositoryModelLoadResponse* response) override;
  Reactor* RepositoryModelUnload(Context* context, const inference::RepositoryModelUnloadRequest* request,
                                 inference::RepositoryModelUnloadResponse* response) override;

  Reactor* SystemSharedMemoryStatus(Context* context, const inference::SystemSharedMemoryStatusRequest* request,
                                    inference::SystemSharedMemoryStatusResponse* response) override;
  Reactor* SystemSharedMemoryRegister(Context* context, const inference::SystemSharedMemoryRegisterRequest* request,
                                      inference::SystemSharedMemoryRegisterResponse* response) override;
  Reactor* SystemSharedMemoryUnregister(Context* context,
                                        const inference::SystemSharedMemoryUnregisterRequest* request,
                                        inference::SystemSharedMemoryUnregisterResponse* response) override;
  Reactor* CudaSharedMemoryStatus(Context* context, const inference::CudaSharedMemoryStatusRequest* request,
                                  inference::CudaSharedMemoryStatusResponse* response) override;
  Reactor* CudaSharedMemoryRegister(Context* context, const inference::CudaSharedMemoryRegisterRequest* request,
                                    inference::CudaSharedMemoryRegisterResponse* response) override;
  Reactor* CudaSharedMemoryUnregister(Context* context, const inference::CudaSharedMemoryUnregisterRequest* request,
                                      inference::CudaSharedMemoryUnregisterResponse* response) override;
  Reactor* TraceSetting(Context* context, const inference::TraceSettingRequest* request,
                        inference::TraceSettingResponse* response) override;
  Reactor* LogSettings(Context* context, const inference::LogSettingsRequest* request,
                       inference::LogSettingsResponse* response) override;

 private:
  InferenceService& service_;
  SharedInferMessageAllocator infer_allocator_;
  BlockingCallWorker blocking_worker_;
};

}  // namespace kiln::server
