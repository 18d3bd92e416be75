#include "server/http/model_config_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstdlib>

#include "server/proto/model_config.pb.h"

namespace kiln::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool IsSigned64(const FieldDescriptor& field) { return field.cpp_type() == FieldDescriptor::CPPTYPE_INT64; }
bool IsUnsigned64(const FieldDescriptor& field) { return field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64; }

// Replaces the quoted decimal in `value` by the number; leaves anything else
// (which protobuf never prints for these fields) untouched.
void UnquoteInteger(const FieldDescriptor& field, rapidjson::Value& value) {
  if (!value.IsString()) return;
  const char* text = value.GetString();
  char* end = nullptr;
  errno = 0;
  if (IsSigned64(field)) {
    const long long number = std::strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0') value.SetInt64(number);
  } else {
    const unsigned long long number = std::strtoull(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0') value.SetUint64(number);
  }
}

void UnquoteMessage(const Descriptor& descriptor, rapidjson::Value& object);

// One field's JSON value (a single value, an array for repeated fields, an
// object for maps).
void UnquoteField(const FieldDescriptor& field, rapidjson::Value& value) {
  if (field.is_map()) {
    if (!value.IsObject()) return;
    const FieldDescriptor* map_value = field.message_type()->map_value();
    for (auto& entry : value.GetObject()) UnquoteField(*map_value, entry.value);
    return;
  }
  if (field.is_repeated() && value.IsArray()) {
    for (auto& element : value.GetArray()) {
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (element.IsObject()) UnquoteMessage(*field.message_type(), element);
      } else if (IsSigned64(field) || IsUnsigned64(field)) {
        UnquoteInteger(field, element);
      }
    }
    return;
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (value.IsObject()) UnquoteMessage(*field.message_type(), value);
  } else if (IsSigned64(field) || IsUnsigned64(field)) {
    UnquoteInteger(field, value);
  }
}

void UnquoteMessage(const Descriptor& descriptor, rapidjson::Value& object) {
  for (auto& member : object.GetObject()) {
    const FieldDescriptor* field = descriptor.FindFieldByName(member.name.GetString());
    if (field != nullptr) UnquoteField(*field, member.value);
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
  if (document.HasParseError() || !document.IsObject()) {
    return Status::Internal("protobuf printed model configuration JSON that does not parse");
  }
  UnquoteMessage(*inference::ModelConfig::descriptor(), document);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace kiln::server
