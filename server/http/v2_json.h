// Small shared pieces of the KServe v2 JSON encoding: the RapidJSON writer
// type the HTTP front-end writes with (NaN/Infinity allowed, as Triton
// writes them), parameters objects in both directions, and shortest
// round-trip number formatting. Stateless: thread-safe.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "server/core/infer_types.h"

namespace kiln::server {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

// Flags every v2 JSON body is parsed with: no recursion on the call stack
// (deeply nested input cannot overflow it), NaN/Infinity accepted, numbers
// read exactly (FP64 data round-trips).
inline constexpr unsigned kV2JsonParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag | rapidjson::kParseFullPrecisionFlag;

// A parameters object: every member a bool, an integer or a string.
// InvalidArgument naming `where` ("request", "input 'x'") otherwise.
Result<Parameters> ParseParameters(const rapidjson::Value& object, std::string_view where);
void WriteParameters(JsonWriter& writer, const Parameters& parameters);

void WriteString(JsonWriter& writer, std::string_view text);
// An object member `key` with a string value.
void WriteStringMember(JsonWriter& writer, const char* key, std::string_view value);
// An object member `key` with an array of strings.
void WriteStringArrayMember(JsonWriter& writer, const char* key, const std::vector<std::string>& values);
// A float as the shortest text that reads back to the same float ("0.1",
// not 0.10000000149011612); NaN and infinities as NaN / Infinity / -Infinity.
void WriteFloat(JsonWriter& writer, float value);

// "the JSON type name" of a value, for messages: "a string", "an array", ...
const char* JsonTypeName(const rapidjson::Value& value);

}  // namespace kiln::server
