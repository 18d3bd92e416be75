#include "server/http/v2_documents.h"

#include <rapidjson/error/en.h>

#include "server/http/v2_json.h"

namespace kiln::server {
namespace {

std::string Finish(const rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

void WriteTensorMetadata(JsonWriter& writer, const std::vector<TensorMetadata>& tensors) {
  writer.StartArray();
  for (const TensorMetadata& tensor : tensors) {
    writer.StartObject();
    WriteStringMember(writer, "name", tensor.name);
    WriteStringMember(writer, "datatype", tensor.datatype);
    writer.Key("shape");
    writer.StartArray();
    for (int64_t dim : tensor.shape) writer.Int64(dim);
    writer.EndArray();
    writer.EndObject();
  }
  writer.EndArray();
}

void WriteDuration(JsonWriter& writer, const char* key, const DurationStat& stat) {
  writer.Key(key);
  writer.StartObject();
  writer.Key("count");
  writer.Uint64(stat.count);
  writer.Key("ns");
  writer.Uint64(stat.ns);
  writer.EndObject();
}

// Parses an optional JSON object body; an empty body is an empty object.
Status ParseOptionalObject(std::string_view body, rapidjson::Document& document, const char* what) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    document.SetObject();
    return Status::Ok();
  }
  document.Parse<kV2JsonParseFlags>(body.data(), body.size());
  if (document.HasParseError()) {
    return Status::InvalidArgument(std::string("malformed JSON in the ") + what + " request at offset " +
                                   std::to_string(document.GetErrorOffset()) + ": " +
                                   rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) {
    return Status::InvalidArgument(std::string("the ") + what + " request must be a JSON object, not " +
                                   JsonTypeName(document));
  }
  return Status::Ok();
}

Result<Parameters> OptionalParameters(const rapidjson::Document& document, const char* what) {
  auto it = document.FindMember("parameters");
  if (it == document.MemberEnd()) return Parameters{};
  return ParseParameters(it->value, std::string(what) + " request");
}

}  // namespace

std::string ServerMetadataJson(const ServerMetadata& metadata) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteStringMember(writer, "name", metadata.name);
  WriteStringMember(writer, "version", metadata.version);
  WriteStringArrayMember(writer, "extensions", metadata.extensions);
  writer.EndObject();
  return Finish(buffer);
}

std::string ModelMetadataJson(const ModelMetadata& metadata) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  WriteStringMember(writer, "name", metadata.name);
  WriteStringArrayMember(writer, "versions", metadata.versions);
  WriteStringMember(writer, "platform", metadata.platform);
  writer.Key("inputs");
  WriteTensorMetadata(writer, metadata.inputs);
  writer.Key("outputs");
  WriteTensorMetadata(writer, metadata.outputs);
  writer.EndObject();
  return Finish(buffer);
}

std::string RepositoryIndexJson(const std::vector<RepositoryIndexEntry>& entries) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  for (const RepositoryIndexEntry& entry : entries) {
    writer.StartObject();
    WriteStringMember(writer, "name", entry.name);
    if (!entry.version.empty()) WriteStringMember(writer, "version", entry.version);
    WriteStringMember(writer, "state", entry.state);
    if (!entry.reason.empty()) WriteStringMember(writer, "reason", entry.reason);
    writer.EndObject();
  }
  writer.EndArray();
  return Finish(buffer);
}

std::string ModelStatisticsJson(const std::vector<ModelStatisticsSnapshot>& stats) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("model_stats");
  writer.StartArray();
  for (const ModelStatisticsSnapshot& model : stats) {
    writer.StartObject();
    WriteStringMember(writer, "name", model.name);
    WriteStringMember(writer, "version", model.version);
    writer.Key("last_inference");
    writer.Uint64(model.last_inference_ms);
    writer.Key("inference_count");
    writer.Uint64(model.inference_count);
    writer.Key("execution_count");
    writer.Uint64(model.execution_count);
    writer.Key("inference_stats");
    writer.StartObject();
    WriteDuration(writer, "success", model.success);
    WriteDuration(writer, "fail", model.fail);
    WriteDuration(writer, "queue", model.queue);
    WriteDuration(writer, "compute_input", model.compute_input);
    WriteDuration(writer, "compute_infer", model.compute_infer);
    WriteDuration(writer, "compute_output", model.compute_output);
    WriteDuration(writer, "cache_hit", DurationStat{});
    WriteDuration(writer, "cache_miss", DurationStat{});
    writer.EndObject();
    writer.Key("batch_stats");
    writer.StartArray();
    for (const auto& [batch_size, batch] : model.batch_stats) {
      writer.StartObject();
      writer.Key("batch_size");
      writer.Uint64(batch_size);
      WriteDuration(writer, "compute_input", batch.compute_input);
      WriteDuration(writer, "compute_infer", batch.compute_infer);
      WriteDuration(writer, "compute_output", batch.compute_output);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return Finish(buffer);
}

Result<bool> ParseRepositoryIndexRequest(std::string_view body) {
  rapidjson::Document document;
  KILN_RETURN_IF_ERROR(ParseOptionalObject(body, document, "repository index"));
  auto it = document.FindMember("ready");
  if (it == document.MemberEnd()) return false;
  if (!it->value.IsBool()) {
    return Status::InvalidArgument(std::string("repository index request: 'ready' must be a bool, not ") +
                                   JsonTypeName(it->value));
  }
  return it->value.GetBool();
}

Result<LoadModelOptions> ParseLoadModelRequest(std::string_view body) {
  rapidjson::Document document;
  KILN_RETURN_IF_ERROR(ParseOptionalObject(body, document, "model load"));
  KILN_ASSIGN_OR_RETURN(Parameters parameters, OptionalParameters(document, "model load"));
  LoadModelOptions options;
  for (const auto& [key, value] : parameters) {
    if (key == "config") {
      const std::string* config = std::get_if<std::string>(&value);
      if (config == nullptr) return Status::InvalidArgument("model load request: parameter 'config' must be a string");
      options.config_json = *config;
    } else if (key.rfind("file:", 0) == 0) {
      return Status::Unimplemented("model load request: file overrides ('" + key + "') are not supported");
    } else {
      return Status::InvalidArgument("model load request: unknown parameter '" + key + "'");
    }
  }
  return options;
}

Status ParseUnloadModelRequest(std::string_view body) {
  rapidjson::Document document;
  KILN_RETURN_IF_ERROR(ParseOptionalObject(body, document, "model unload"));
  KILN_ASSIGN_OR_RETURN(Parameters parameters, OptionalParameters(document, "model unload"));
  for (const auto& [key, value] : parameters) {
    if (key == "unload_dependents") {
      if (!std::holds_alternative<bool>(value)) {
        return Status::InvalidArgument("model unload request: parameter 'unload_dependents' must be a bool");
      }
    } else {
      return Status::InvalidArgument("model unload request: unknown parameter '" + key + "'");
    }
  }
  return Status::Ok();
}

}  // namespace kiln::server
