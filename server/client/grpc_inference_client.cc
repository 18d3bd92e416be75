#include "server/client/grpc_inference_client.h"

#include <grpcpp/grpcpp.h>

#include <cstring>

#include "server/core/datatype.h"
#include "server/proto/grpc_service.grpc.pb.h"

namespace kiln::server {

Status StatusFromGrpc(const grpc::Status& status) {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::InvalidArgument(message);
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Status::ResourceExhausted(message);
    case grpc::StatusCode::UNAVAILABLE: return Status::Unavailable(message);
    case grpc::StatusCode::UNIMPLEMENTED: return Status::Unimplemented(message);
    default: return Status::Internal("gRPC " + std::to_string(static_cast<int>(status.error_code())) + ": " + message);
  }
}

namespace {

template <typename T>
void AppendRaw(std::string& out, const google::protobuf::RepeatedField<T>& values, size_t element_size) {
  for (const T& v : values) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out.append(bytes, element_size);  // little-endian: narrower types keep their low bytes
  }
}

// Raw bytes of an output sent in InferTensorContents instead of raw_output_contents.
Result<std::string> RawFromContents(const inference::ModelInferResponse::InferOutputTensor& output) {
  const std::optional<DataType> dtype = DataTypeFromV2Name(output.datatype());
  if (!dtype) return Status::InvalidArgument("output '" + output.name() + "' has unknown datatype '" + output.datatype() + "'");
  const inference::InferTensorContents& c = output.contents();
  std::string raw;
  const size_t size = DataTypeSize(*dtype);
  switch (*dtype) {
    case DataType::kBool:
      for (bool b : c.bool_contents()) raw.push_back(b ? 1 : 0);
      break;
    case DataType::kInt8: case DataType::kInt16: case DataType::kInt32: AppendRaw(raw, c.int_contents(), size); break;
    case DataType::kInt64: AppendRaw(raw, c.int64_contents(), size); break;
    case DataType::kUInt8: case DataType::kUInt16: case DataType::kUInt32: AppendRaw(raw, c.uint_contents(), size); break;
    case DataType::kUInt64: AppendRaw(raw, c.uint64_contents(), size); break;
    case DataType::kFloat: AppendRaw(raw, c.fp32_contents(), size); break;
    case DataType::kDouble: AppendRaw(raw, c.fp64_contents(), size); break;
    case DataType::kString:
      for (const std::string& s : c.bytes_contents()) {
        const uint32_t length = static_cast<uint32_t>(s.size());
        char prefix[4];
        std::memcpy(prefix, &length, 4);
        raw.append(prefix, 4);
        raw.append(s);
      }
      break;
    default:
      return Status::Unimplemented("output '" + output.name() + "' of datatype " + output.datatype() +
                                   " must come as raw_output_contents");
  }
  return raw;
}

DurationStat FromProto(const inference::StatisticDuration& d) { return DurationStat{d.count(), d.ns()}; }

}  // namespace

struct GrpcInferenceClient::Stub {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub;
};

void FillGrpcInferRequest(const std::string& model, const std::string& version,
                          const std::vector<ClientTensor>& inputs, inference::ModelInferRequest& request) {
  request.set_model_name(model);
  request.set_model_version(version);
  for (const ClientTensor& input : inputs) {
    auto* tensor = request.add_inputs();
    tensor->set_name(input.name);
    tensor->set_datatype(input.datatype);
    for (int64_t d : input.shape) tensor->add_shape(d);
    request.add_raw_input_contents(input.data);
  }
}

Result<std::vector<ClientTensor>> DecodeGrpcInferResponse(const inference::ModelInferResponse& response) {
  std::vector<ClientTensor> outputs;
  const bool raw = response.raw_output_contents_size() > 0;
  if (raw && response.raw_output_contents_size() != response.outputs_size()) {
    return Status::InvalidArgument("the response has " + std::to_string(response.outputs_size()) + " outputs but " +
                                   std::to_string(response.raw_output_contents_size()) + " raw_output_contents");
  }
  for (int i = 0; i < response.outputs_size(); ++i) {
    const auto& output = response.outputs(i);
    ClientTensor tensor;
    tensor.name = output.name();
    tensor.datatype = output.datatype();
    tensor.shape.assign(output.shape().begin(), output.shape().end());
    if (raw) {
      tensor.data = response.raw_output_contents(i);
    } else {
      KILN_ASSIGN_OR_RETURN(tensor.data, RawFromContents(output));
    }
    outputs.push_back(std::move(tensor));
  }
  return outputs;
}

ModelMetadata DecodeGrpcModelMetadata(const inference::ModelMetadataResponse& response) {
  ModelMetadata metadata;
  metadata.name = response.name();
  metadata.platform = response.platform();
  metadata.versions.assign(response.versions().begin(), response.versions().end());
  for (const auto& t : response.inputs()) {
    metadata.inputs.push_back(TensorMetadata{t.name(), t.datatype(), {t.shape().begin(), t.shape().end()}});
  }
  for (const auto& t : response.outputs()) {
    metadata.outputs.push_back(TensorMetadata{t.name(), t.datatype(), {t.shape().begin(), t.shape().end()}});
  }
  return metadata;
}

std::vector<ModelStatisticsSnapshot> DecodeGrpcModelStatistics(const inference::ModelStatisticsResponse& response) {
  std::vector<ModelStatisticsSnapshot> snapshots;
  for (const auto& m : response.model_stats()) {
    ModelStatisticsSnapshot s;
    s.name = m.name();
    s.version = m.version();
    s.last_inference_ms = m.last_inference();
    s.inference_count = m.inference_count();
    s.execution_count = m.execution_count();
    const auto& stats = m.inference_stats();
    s.success = FromProto(stats.success());
    s.fail = FromProto(stats.fail());
    s.queue = FromProto(stats.queue());
    s.compute_input = FromProto(stats.compute_input());
    s.compute_infer = FromProto(stats.compute_infer());
    s.compute_output = FromProto(stats.compute_output());
    for (const auto& b : m.batch_stats()) {
      BatchStats& batch = s.batch_stats[b.batch_size()];
      batch.compute_input = FromProto(b.compute_input());
      batch.compute_infer = FromProto(b.compute_infer());
      batch.compute_output = FromProto(b.compute_output());
      s.batch_size_counts[b.batch_size()] = b.compute_infer().count();
    }
    snapshots.push_back(std::move(s));
  }
  return snapshots;
}

Result<std::unique_ptr<GrpcInferenceClient>> GrpcInferenceClient::Create(const std::string& host,
                                                                         const std::string& port) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetMaxSendMessageSize(-1);
  const std::string target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  auto stub = std::make_unique<Stub>();
  stub->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
  stub->stub = inference::GRPCInferenceService::NewStub(stub->channel);
  return std::unique_ptr<GrpcInferenceClient>(new GrpcInferenceClient(std::move(stub)));
}

GrpcInferenceClient::GrpcInferenceClient(std::unique_ptr<Stub> stub) : stub_(std::move(stub)) {}
GrpcInferenceClient::~GrpcInferenceClient() = default;

Result<bool> GrpcInferenceClient::IsServerLive() {
  inference::ServerLiveRequest request;
  inference::ServerLiveResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->stub->ServerLive(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return response.live();
}

Result<ModelMetadata> GrpcInferenceClient::GetModelMetadata(const std::string& model, const std::string& version) {
  inference::ModelMetadataRequest request;
  request.set_name(model);
  request.set_version(version);
  inference::ModelMetadataResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->stub->ModelMetadata(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return DecodeGrpcModelMetadata(response);
}

Result<std::vector<ModelStatisticsSnapshot>> GrpcInferenceClient::GetModelStatistics(const std::string& model,
                                                                                     const std::string& version) {
  inference::ModelStatisticsRequest request;
  request.set_name(model);
  request.set_version(version);
  inference::ModelStatisticsResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->stub->ModelStatistics(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return DecodeGrpcModelStatistics(response);
}

Result<std::vector<ClientTensor>> GrpcInferenceClient::Infer(const std::string& model, const std::string& version,
                                                             const std::vector<ClientTensor>& inputs) {
  inference::ModelInferRequest request;
  FillGrpcInferRequest(model, version, inputs, request);
  inference::ModelInferResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->stub->ModelInfer(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return DecodeGrpcInferResponse(response);
}

}  // namespace kiln::server
