#include "server/http/model_config_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "server/proto/model_config.pb.h"

namespace kiln::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

void NumbersForInt64Fields(rapidjson::Value& json, const Descriptor& descriptor);

// Protobuf's JSON mapping prints 64-bit integers as strings ("dims": ["16"]);
// Triton returns them as numbers ("dims": [16]) and its clients expect that.
void FixValue(rapidjson::Value& value, const FieldDescriptor& field) {
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    NumbersForInt64Fields(value, *field.message_type());
    return;
  }
  if (!value.IsString()) return;
  const char* begin = value.GetString();
  const char* end = begin + value.GetStringLength();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
    int64_t number = 0;
    if (std::from_chars(begin, end, number).ptr == end) value.SetInt64(number);
  } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
    uint64_t number = 0;
    if (std::from_chars(begin, end, number).ptr == end) value.SetUint64(number);
  }
}

void NumbersForInt64Fields(rapidjson::Value& json, const Descriptor& descriptor) {
  if (!json.IsObject()) return;
  for (auto& member : json.GetObject()) {
    const FieldDescriptor* field =
        descriptor.FindFieldByName(std::string(member.name.GetString(), member.name.GetStringLength()));
    if (field == nullptr) continue;
    if (field->is_map()) {
      const FieldDescriptor* value_field = field->message_type()->map_value();
      if (member.value.IsObject() && value_field != nullptr) {
        for (auto& entry : member.value.GetObject()) FixValue(entry.value, *value_field);
      }
    } else if (field->is_repeated()) {
      if (member.value.IsArray()) {
        for (auto& element : member.value.GetArray()) FixValue(element, *field);
      }
    } else {
      FixValue(member.value, *field);
    }
  }
}

}  // namespace

Result<std::string> ModelConfigJson(const inference::ModelConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(config, &json, options);
  if (!status.ok()) return Status::Internal("cannot print the model configuration as JSON: " + status.ToString());
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) return Status::Internal("protobuf printed a model configuration that is not JSON");
  NumbersForInt64Fields(document, *inference::ModelConfig::descriptor());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace kiln::server
