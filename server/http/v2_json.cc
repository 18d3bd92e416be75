#include "server/http/v2_json.h"

#include <charconv>
#include <cmath>

namespace kiln::server {

Result<Parameters> ParseParameters(const rapidjson::Value& object, std::string_view where) {
  if (!object.IsObject()) {
    return Status::InvalidArgument(std::string(where) + ": 'parameters' must be an object, not " +
                                   JsonTypeName(object));
  }
  Parameters out;
  for (const auto& member : object.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& value = member.value;
    if (value.IsBool()) {
      out[key] = value.GetBool();
    } else if (value.IsInt64()) {
      out[key] = value.GetInt64();
    } else if (value.IsString()) {
      out[key] = std::string(value.GetString(), value.GetStringLength());
    } else {
      return Status::InvalidArgument(std::string(where) + ": parameter '" + key +
                                     "' must be a bool, an integer or a string, not " + JsonTypeName(value));
    }
  }
  return out;
}

void WriteParameters(JsonWriter& writer, const Parameters& parameters) {
  writer.StartObject();
  for (const auto& [key, value] : parameters) {
    WriteString(writer, key);
    if (const bool* b = std::get_if<bool>(&value)) {
      writer.Bool(*b);
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      writer.Int64(*i);
    } else {
      WriteString(writer, std::get<std::string>(value));
    }
  }
  writer.EndObject();
}

void WriteString(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteStringMember(JsonWriter& writer, const char* key, std::string_view value) {
  writer.Key(key);
  WriteString(writer, value);
}

void WriteStringArrayMember(JsonWriter& writer, const char* key, const std::vector<std::string>& values) {
  writer.Key(key);
  writer.StartArray();
  for (const std::string& value : values) WriteString(writer, value);
  writer.EndArray();
}

void WriteFloat(JsonWriter& writer, float value) {
  if (std::isnan(value)) {
    writer.RawValue("NaN", 3, rapidjson::kNumberType);
    return;
  }
  if (std::isinf(value)) {
    if (value > 0) {
      writer.RawValue("Infinity", 8, rapidjson::kNumberType);
    } else {
      writer.RawValue("-Infinity", 9, rapidjson::kNumberType);
    }
    return;
  }
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  writer.RawValue(text, static_cast<size_t>(result.ptr - text), rapidjson::kNumberType);
}

const char* JsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a bool";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "a value";
}

}  // namespace kiln::server
