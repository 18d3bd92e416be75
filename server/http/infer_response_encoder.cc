#include "server/http/infer_response_encoder.h"

#include <bit>
#include <cstring>

#include "server/core/datatype.h"
#include "server/http/v2_json.h"

namespace kiln::server {
namespace {

template <typename T>
void WriteElement(JsonWriter& writer, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    writer.Bool(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    WriteString(writer, value);
  } else if constexpr (std::is_same_v<T, double>) {
    writer.Double(value);
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    WriteFloat(writer, static_cast<float>(value));
  } else if constexpr (std::is_signed_v<T>) {
    writer.Int64(static_cast<int64_t>(value));
  } else {
    writer.Uint64(static_cast<uint64_t>(value));
  }
}

// Bytes of the binary form of `tensor`.
size_t BinarySize(const Tensor& tensor) {
  if (tensor.dtype() != DataType::kString) return tensor.byte_size();
  size_t size = 0;
  const std::string* elements = tensor.data<std::string>();
  for (int64_t i = 0; i < tensor.num_elements(); ++i) size += 4 + elements[i].size();
  return size;
}

// Appends the binary form of `tensor` to `out`.
void AppendBinary(const Tensor& tensor, std::string& out) {
  if (tensor.dtype() == DataType::kString) {
    const std::string* elements = tensor.data<std::string>();
    for (int64_t i = 0; i < tensor.num_elements(); ++i) {
      const uint32_t length = static_cast<uint32_t>(elements[i].size());
      char prefix[4];
      std::memcpy(prefix, &length, sizeof prefix);  // little-endian host (checked in the decoder)
      out.append(prefix, sizeof prefix);
      out.append(elements[i]);
    }
  } else {
    out.append(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  }
}

}  // namespace

Result<EncodedInferResponse> EncodeInferResponse(const InferResponse& response, const HttpOutputFormat& format) {
  rapidjson::StringBuffer buffer(nullptr, 1024);  // a typical response header without regrowing
  JsonWriter writer(buffer);
  std::vector<const Tensor*> binary_tensors;
  size_t binary_size = 0;
  writer.StartObject();
  WriteStringMember(writer, "model_name", response.model_name);
  WriteStringMember(writer, "model_version", response.model_version);
  if (!response.id.empty()) WriteStringMember(writer, "id", response.id);
  if (!response.parameters.empty()) {
    writer.Key("parameters");
    WriteParameters(writer, response.parameters);
  }
  writer.Key("outputs");
  writer.StartArray();
  for (const InferOutput& output : response.outputs) {
    const Tensor& tensor = output.tensor;
    const std::string_view datatype = V2DataTypeName(tensor.dtype());
    if (datatype.empty()) {
      return Status::Internal("output '" + output.name + "' has type " + std::string(DataTypeName(tensor.dtype())) +
                              ", which KServe v2 cannot carry");
    }
    writer.StartObject();
    WriteStringMember(writer, "name", output.name);
    WriteStringMember(writer, "datatype", datatype);
    writer.Key("shape");
    writer.StartArray();
    for (int64_t dim : tensor.shape()) writer.Int64(dim);
    writer.EndArray();
    Parameters parameters = output.parameters;
    const bool as_binary = format.IsBinary(output.name);
    if (as_binary) {
      const size_t size = BinarySize(tensor);
      parameters["binary_data_size"] = static_cast<int64_t>(size);
      binary_tensors.push_back(&tensor);
      binary_size += size;
    }
    if (!parameters.empty()) {
      writer.Key("parameters");
      WriteParameters(writer, parameters);
    }
    if (!as_binary) {
      writer.Key("data");
      writer.StartArray();
      Status status = DispatchType<AllTypes>(tensor.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* data = tensor.data<T>();
        for (int64_t i = 0; i < tensor.num_elements(); ++i) WriteElement<T>(writer, data[i]);
      });
      KILN_RETURN_IF_ERROR(status);
      writer.EndArray();
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();

  EncodedInferResponse encoded;
  encoded.body.reserve(buffer.GetSize() + binary_size);
  encoded.body.assign(buffer.GetString(), buffer.GetSize());
  if (!binary_tensors.empty()) {
    encoded.json_size = buffer.GetSize();
    for (const Tensor* tensor : binary_tensors) AppendBinary(*tensor, encoded.body);
  }
  return encoded;
}

}  // namespace kiln::server
