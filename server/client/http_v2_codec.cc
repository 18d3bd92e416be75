#include "server/client/http_v2_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>

#include "server/core/datatype.h"

namespace kiln::server {
namespace {

using rapidjson::Value;

Result<rapidjson::Document> Parse(std::string_view json, const char* what) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument(std::string("the server's ") + what + " is not a JSON object");
  }
  return doc;
}

std::string StringMember(const Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

uint64_t UintMember(const Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return 0;
  if (it->value.IsUint64()) return it->value.GetUint64();
  if (it->value.IsString()) return std::strtoull(it->value.GetString(), nullptr, 10);
  return 0;
}

std::vector<int64_t> ShapeMember(const Value& object) {
  std::vector<int64_t> shape;
  auto it = object.FindMember("shape");
  if (it == object.MemberEnd() || !it->value.IsArray()) return shape;
  for (const Value& d : it->value.GetArray()) shape.push_back(d.IsInt64() ? d.GetInt64() : 0);
  return shape;
}

template <typename T>
void AppendValue(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Flattens nested "data" arrays (row-major) into raw bytes.
Status AppendJsonData(const Value& data, DataType dtype, const std::string& name, std::string& out) {
  if (data.IsArray()) {
    for (const Value& item : data.GetArray()) KILN_RETURN_IF_ERROR(AppendJsonData(item, dtype, name, out));
    return Status::Ok();
  }
  auto bad = [&] { return Status::InvalidArgument("output '" + name + "' has a data element of the wrong type"); };
  switch (dtype) {
    case DataType::kString: {
      if (!data.IsString()) return bad();
      const uint32_t length = data.GetStringLength();
      AppendValue<uint32_t>(out, length);
      out.append(data.GetString(), length);
      return Status::Ok();
    }
    case DataType::kBool:
      if (!data.IsBool()) return bad();
      AppendValue<uint8_t>(out, data.GetBool() ? 1 : 0);
      return Status::Ok();
    case DataType::kFloat:
      if (!data.IsNumber()) return bad();
      AppendValue<float>(out, static_cast<float>(data.GetDouble()));
      return Status::Ok();
    case DataType::kDouble:
      if (!data.IsNumber()) return bad();
      AppendValue<double>(out, data.GetDouble());
      return Status::Ok();
    case DataType::kInt8: case DataType::kInt16: case DataType::kInt32: case DataType::kInt64:
    case DataType::kUInt8: case DataType::kUInt16: case DataType::kUInt32: case DataType::kUInt64: {
      if (!data.IsInt64() && !data.IsUint64()) return bad();
      const uint64_t bits = data.IsUint64() ? data.GetUint64() : static_cast<uint64_t>(data.GetInt64());
      char bytes[8];
      std::memcpy(bytes, &bits, 8);  // little-endian: the low bytes come first
      out.append(bytes, DataTypeSize(dtype));
      return Status::Ok();
    }
    default:
      return Status::Unimplemented("output '" + name + "' has datatype " + std::string(V2DataTypeName(dtype)) +
                                   ", which this client reads only as binary data");
  }
}

DurationStat DurationMember(const Value& object, const char* name) {
  DurationStat stat;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsObject()) return stat;
  stat.count = UintMember(it->value, "count");
  stat.ns = UintMember(it->value, "ns");
  return stat;
}

}  // namespace

HttpInferBody EncodeHttpInferRequest(const std::vector<ClientTensor>& inputs) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("inputs");
  writer.StartArray();
  size_t binary_size = 0;
  for (const ClientTensor& input : inputs) {
    writer.StartObject();
    writer.Key("name");
    writer.String(input.name.c_str(), static_cast<rapidjson::SizeType>(input.name.size()));
    writer.Key("shape");
    writer.StartArray();
    for (int64_t d : input.shape) writer.Int64(d);
    writer.EndArray();
    writer.Key("datatype");
    writer.String(input.datatype.c_str(), static_cast<rapidjson::SizeType>(input.datatype.size()));
    writer.Key("parameters");
    writer.StartObject();
    writer.Key("binary_data_size");
    writer.Uint64(input.data.size());
    writer.EndObject();
    writer.EndObject();
    binary_size += input.data.size();
  }
  writer.EndArray();
  writer.Key("parameters");
  writer.StartObject();
  writer.Key("binary_data_output");
  writer.Bool(true);
  writer.EndObject();
  writer.EndObject();

  HttpInferBody out;
  out.header_length = buffer.GetSize();
  out.body.reserve(out.header_length + binary_size);
  out.body.append(buffer.GetString(), buffer.GetSize());
  for (const ClientTensor& input : inputs) out.body.append(input.data);
  return out;
}

Result<std::vector<ClientTensor>> DecodeHttpInferResponse(std::string_view body,
                                                          std::optional<size_t> header_length) {
  const size_t json_size = header_length ? *header_length : body.size();
  if (json_size > body.size()) {
    return Status::InvalidArgument("Inference-Header-Content-Length " + std::to_string(json_size) +
                                   " exceeds the response body (" + std::to_string(body.size()) + " bytes)");
  }
  KILN_ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(body.substr(0, json_size), "infer response"));
  auto outputs = doc.FindMember("outputs");
  if (outputs == doc.MemberEnd() || !outputs->value.IsArray()) {
    return Status::InvalidArgument("the server's infer response has no \"outputs\" array");
  }
  std::vector<ClientTensor> tensors;
  size_t offset = json_size;
  for (const Value& output : outputs->value.GetArray()) {
    if (!output.IsObject()) return Status::InvalidArgument("an output of the infer response is not an object");
    ClientTensor tensor;
    tensor.name = StringMember(output, "name");
    tensor.datatype = StringMember(output, "datatype");
    tensor.shape = ShapeMember(output);
    uint64_t binary_size = 0;
    auto parameters = output.FindMember("parameters");
    if (parameters != output.MemberEnd() && parameters->value.IsObject()) {
      binary_size = UintMember(parameters->value, "binary_data_size");
    }
    auto data = output.FindMember("data");
    if (data != output.MemberEnd()) {
      const std::optional<DataType> dtype = DataTypeFromV2Name(tensor.datatype);
      if (!dtype) return Status::InvalidArgument("output '" + tensor.name + "' has unknown datatype '" + tensor.datatype + "'");
      KILN_RETURN_IF_ERROR(AppendJsonData(data->value, *dtype, tensor.name, tensor.data));
    } else {
      if (offset + binary_size > body.size()) {
        return Status::InvalidArgument("output '" + tensor.name + "' claims " + std::to_string(binary_size) +
                                       " binary bytes past the end of the response");
      }
      tensor.data.assign(body.substr(offset, binary_size));
      offset += binary_size;
    }
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

Result<ModelMetadata> DecodeHttpModelMetadata(std::string_view json) {
  KILN_ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(json, "model metadata"));
  ModelMetadata metadata;
  metadata.name = StringMember(doc, "name");
  metadata.platform = StringMember(doc, "platform");
  auto versions = doc.FindMember("versions");
  if (versions != doc.MemberEnd() && versions->value.IsArray()) {
    for (const Value& v : versions->value.GetArray()) {
      if (v.IsString()) metadata.versions.emplace_back(v.GetString());
    }
  }
  for (auto [key, target] : {std::pair{"inputs", &metadata.inputs}, std::pair{"outputs", &metadata.outputs}}) {
    auto list = doc.FindMember(key);
    if (list == doc.MemberEnd() || !list->value.IsArray()) continue;
    for (const Value& tensor : list->value.GetArray()) {
      if (!tensor.IsObject()) continue;
      target->push_back(TensorMetadata{StringMember(tensor, "name"), StringMember(tensor, "datatype"),
                                       ShapeMember(tensor)});
    }
  }
  return metadata;
}

Result<std::vector<ModelStatisticsSnapshot>> DecodeHttpModelStatistics(std::string_view json) {
  KILN_ASSIGN_OR_RETURN(rapidjson::Document doc, Parse(json, "model statistics"));
  auto list = doc.FindMember("model_stats");
  if (list == doc.MemberEnd() || !list->value.IsArray()) {
    return Status::InvalidArgument("the server's statistics have no \"model_stats\" array");
  }
  std::vector<ModelStatisticsSnapshot> snapshots;
  for (const Value& model : list->value.GetArray()) {
    if (!model.IsObject()) continue;
    ModelStatisticsSnapshot s;
    s.name = StringMember(model, "name");
    s.version = StringMember(model, "version");
    s.last_inference_ms = UintMember(model, "last_inference");
    s.inference_count = UintMember(model, "inference_count");
    s.execution_count = UintMember(model, "execution_count");
    auto stats = model.FindMember("inference_stats");
    if (stats != model.MemberEnd() && stats->value.IsObject()) {
      s.success = DurationMember(stats->value, "success");
      s.fail = DurationMember(stats->value, "fail");
      s.queue = DurationMember(stats->value, "queue");
      s.compute_input = DurationMember(stats->value, "compute_input");
      s.compute_infer = DurationMember(stats->value, "compute_infer");
      s.compute_output = DurationMember(stats->value, "compute_output");
    }
    auto batches = model.FindMember("batch_stats");
    if (batches != model.MemberEnd() && batches->value.IsArray()) {
      for (const Value& batch : batches->value.GetArray()) {
        if (!batch.IsObject()) continue;
        BatchStats& b = s.batch_stats[UintMember(batch, "batch_size")];
        b.compute_input = DurationMember(batch, "compute_input");
        b.compute_infer = DurationMember(batch, "compute_infer");
        b.compute_output = DurationMember(batch, "compute_output");
        s.batch_size_counts[UintMember(batch, "batch_size")] = b.compute_infer.count;
      }
    }
    snapshots.push_back(std::move(s));
  }
  return snapshots;
}

std::string DecodeHttpError(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    std::string message = StringMember(doc, "error");
    if (!message.empty()) return message;
  }
  return std::string(body);
}

}  // namespace kiln::server
