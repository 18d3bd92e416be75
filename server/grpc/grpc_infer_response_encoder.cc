#include "server/grpc/grpc_infer_response_encoder.h"

#include <string>

#include "server/core/datatype.h"
#include "server/grpc/grpc_infer_parameters.h"
#include "server/grpc/length_prefixed_strings.h"

namespace kiln::server {
namespace {

using inference::InferTensorContents;

template <typename T, typename Field>
void AppendAll(const Tensor& tensor, Field* field) {
  const T* values = tensor.data<T>();
  field->Reserve(static_cast<int>(tensor.num_elements()));
  for (int64_t i = 0; i < tensor.num_elements(); ++i) field->Add(values[i]);
}

void WriteContents(const Tensor& tensor, InferTensorContents* c) {
  switch (tensor.dtype()) {
    case DataType::kBool:
      AppendAll<bool>(tensor, c->mutable_bool_contents());
      break;
    case DataType::kInt8:
      AppendAll<int8_t>(tensor, c->mutable_int_contents());
      break;
    case DataType::kInt16:
      AppendAll<int16_t>(tensor, c->mutable_int_contents());
      break;
    case DataType::kInt32:
      AppendAll<int32_t>(tensor, c->mutable_int_contents());
      break;
    case DataType::kInt64:
      AppendAll<int64_t>(tensor, c->mutable_int64_contents());
      break;
    case DataType::kUInt8:
      AppendAll<uint8_t>(tensor, c->mutable_uint_contents());
      break;
    case DataType::kUInt16:
      AppendAll<uint16_t>(tensor, c->mutable_uint_contents());
      break;
    case DataType::kUInt32:
      AppendAll<uint32_t>(tensor, c->mutable_uint_contents());
      break;
    case DataType::kUInt64:
      AppendAll<uint64_t>(tensor, c->mutable_uint64_contents());
      break;
    case DataType::kFloat:
      AppendAll<float>(tensor, c->mutable_fp32_contents());
      break;
    case DataType::kDouble:
      AppendAll<double>(tensor, c->mutable_fp64_contents());
      break;
    case DataType::kString: {
      auto* field = c->mutable_bytes_contents();
      field->Reserve(static_cast<int>(tensor.num_elements()));
      const std::string* values = tensor.data<std::string>();
      for (int64_t i = 0; i < tensor.num_elements(); ++i) field->Add()->assign(values[i]);
      break;
    }
    default:
      break;  // FP16/BF16 never reach here: they force the raw form
  }
}

void WriteRaw(const Tensor& tensor, std::string* out) {
  if (tensor.dtype() == DataType::kString) {
    AppendLengthPrefixedStrings(tensor, out);
  } else {
    out->assign(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  }
}

}  // namespace

Status EncodeGrpcInferResponse(const InferResponse& response, bool typed_contents, inference::ModelInferResponse* out) {
  out->set_model_name(response.model_name);
  out->set_model_version(response.model_version);
  out->set_id(response.id);
  ParametersToGrpc(response.parameters, out->mutable_parameters());

  bool raw = !typed_contents;
  for (const InferOutput& output : response.outputs) {
    if (!output.tensor.defined()) return Status::Internal("output '" + output.name + "' has no tensor");
    if (V2DataTypeName(output.tensor.dtype()).empty()) {
      return Status::Internal("output '" + output.name + "' has type " +
                              std::string(DataTypeName(output.tensor.dtype())) + ", which KServe v2 cannot carry");
    }
    const DataType dtype = output.tensor.dtype();
    if (dtype == DataType::kFloat16 || dtype == DataType::kBFloat16) raw = true;
  }

  out->mutable_outputs()->Reserve(static_cast<int>(response.outputs.size()));
  for (const InferOutput& output : response.outputs) {
    auto* tensor = out->add_outputs();
    tensor->set_name(output.name);
    tensor->set_datatype(std::string(V2DataTypeName(output.tensor.dtype())));
    for (int64_t d : output.tensor.shape()) tensor->add_shape(d);
    ParametersToGrpc(output.parameters, tensor->mutable_parameters());
    if (raw) {
      WriteRaw(output.tensor, out->add_raw_output_contents());
    } else {
      WriteContents(output.tensor, tensor->mutable_contents());
    }
  }
  return Status::Ok();
}

}  // namespace kiln::server
