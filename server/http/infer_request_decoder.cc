#include "server/http/infer_request_decoder.h"

#include <rapidjson/error/en.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>

#include "server/core/datatype.h"
#include "server/http/v2_json.h"

namespace kiln::server {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the binary tensor data extension is little-endian; a big-endian host would need byte swaps");

using rapidjson::Value;

Status Invalid(const std::string& message) { return Status::InvalidArgument(message); }

std::string InputWhere(const std::string& name) { return "input '" + name + "'"; }

Result<Shape> ParseShape(const Value& json, const std::string& where) {
  if (!json.IsArray()) return Invalid(where + ": 'shape' must be an array of integers, not " + JsonTypeName(json));
  Shape shape;
  for (const Value& dim : json.GetArray()) {
    if (!dim.IsInt64() || dim.GetInt64() < 0) {
      return Invalid(where + ": 'shape' must hold non-negative integers");
    }
    shape.push_back(dim.GetInt64());
  }
  return shape;
}

// Element count of `shape`, refusing counts whose byte size could overflow.
Result<uint64_t> CheckedElementCount(const Shape& shape, const std::string& where) {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dim), &count) || count > (uint64_t{1} << 48)) {
      return Invalid(where + ": shape " + ShapeToString(shape) + " has too many elements");
    }
  }
  return count;
}

// Counts the scalars of (possibly nested) `data`.
Status CountScalars(const Value& data, int depth, uint64_t& count, const std::string& where) {
  if (depth > kMaxDataNesting) {
    return Invalid(where + ": 'data' is nested deeper than " + std::to_string(kMaxDataNesting) + " levels");
  }
  for (const Value& element : data.GetArray()) {
    if (element.IsArray()) {
      KILN_RETURN_IF_ERROR(CountScalars(element, depth + 1, count, where));
    } else {
      ++count;
    }
  }
  return Status::Ok();
}

template <typename T>
bool ConvertScalar(const Value& value, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.IsBool()) return false;
    out = value.GetBool();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.IsString()) return false;
    out.assign(value.GetString(), value.GetStringLength());
  } else if constexpr (std::is_same_v<T, double>) {
    if (!value.IsNumber()) return false;
    out = value.GetDouble();
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    if (!value.IsNumber()) return false;
    out = T(static_cast<float>(value.GetDouble()));
  } else if constexpr (std::is_signed_v<T>) {
    if (!value.IsInt64()) return false;
    const int64_t v = value.GetInt64();
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  } else {
    if (!value.IsUint64()) return false;
    const uint64_t v = value.GetUint64();
    if (v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  }
  return true;
}

template <typename T>
const char* Expectation() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>)
    return "a number";
  else if constexpr (std::is_signed_v<T>) return "an integer in range";
  else return "a non-negative integer in range";
}

template <typename T>
Status FillFromJson(const Value& data, T* out, int64_t& index, const std::string& where, std::string_view dtype) {
  for (const Value& element : data.GetArray()) {
    if (element.IsArray()) {
      KILN_RETURN_IF_ERROR(FillFromJson(element, out, index, where, dtype));
      continue;
    }
    if (!ConvertScalar(element, out[index])) {
      return Invalid(where + ": data element " + std::to_string(index) + " must be " + Expectation<T>() + " for " +
                     std::string(dtype) + ", not " + JsonTypeName(element));
    }
    ++index;
  }
  return Status::Ok();
}

Result<Tensor> TensorFromJson(DataType dtype, const Shape& shape, uint64_t count, const Value& data,
                              const std::string& where) {
  if (!data.IsArray()) return Invalid(where + ": 'data' must be an array, not " + JsonTypeName(data));
  uint64_t scalars = 0;
  KILN_RETURN_IF_ERROR(CountScalars(data, 1, scalars, where));
  if (scalars != count) {
    return Invalid(where + ": 'data' has " + std::to_string(scalars) + " elements but shape " + ShapeToString(shape) +
                   " needs " + std::to_string(count));
  }
  Tensor tensor = Tensor::Allocate(dtype, shape);
  const std::string_view dtype_name = V2DataTypeName(dtype);
  Status status = DispatchType<AllTypes>(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    int64_t index = 0;
    return FillFromJson<T>(data, tensor.data<T>(), index, where, dtype_name);
  });
  KILN_RETURN_IF_ERROR(status);
  return tensor;
}

uint32_t ReadLittleEndian32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Result<Tensor> TensorFromBinary(DataType dtype, const Shape& shape, uint64_t count,
                                const std::shared_ptr<RequestBuffer>& body, size_t offset, size_t size,
                                const std::string& where) {
  char* begin = body->data() + offset;
  if (dtype == DataType::kString) {
    Tensor tensor = Tensor::Allocate(dtype, shape);
    std::string* out = tensor.data<std::string>();
    size_t position = 0;
    for (uint64_t i = 0; i < count; ++i) {
      if (size - position < 4) {
        return Invalid(where + ": binary data ends inside the length of BYTES element " + std::to_string(i));
      }
      const uint32_t length = ReadLittleEndian32(begin + position);
      position += 4;
      if (size - position < length) {
        return Invalid(where + ": BYTES element " + std::to_string(i) + " of " + std::to_string(length) +
                       " bytes runs past binary_data_size " + std::to_string(size));
      }
      out[i].assign(begin + position, length);
      position += length;
    }
    if (position != size) {
      return Invalid(where + ": binary_data_size " + std::to_string(size) + " holds more than the " +
                     std::to_string(count) + " BYTES elements of shape " + ShapeToString(shape));
    }
    return tensor;
  }
  const size_t element_size = DataTypeSize(dtype);
  const uint64_t expected = count * element_size;  // count <= 2^48: no overflow
  if (expected != size) {
    return Invalid(where + ": binary_data_size " + std::to_string(size) + " does not match shape " +
                   ShapeToString(shape) + " of " + std::string(V2DataTypeName(dtype)) + " (" +
                   std::to_string(expected) + " bytes)");
  }
  if (dtype == DataType::kBool) {
    for (size_t i = 0; i < size; ++i) {
      if (static_cast<unsigned char>(begin[i]) > 1) {
        return Invalid(where + ": BOOL element " + std::to_string(i) + " is neither 0 nor 1");
      }
    }
  }
  if (reinterpret_cast<uintptr_t>(begin) % element_size == 0) {
    return Tensor::Borrow(dtype, shape, begin, body);  // no copy: the tensor keeps the body alive
  }
  Tensor tensor = Tensor::Allocate(dtype, shape);
  if (size > 0) std::memcpy(tensor.raw_data(), begin, size);
  return tensor;
}

Result<std::string> RequiredString(const Value& object, const char* key, const std::string& where) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return Invalid(where + ": missing '" + key + "'");
  if (!it->value.IsString()) return Invalid(where + ": '" + key + "' must be a string, not " + JsonTypeName(it->value));
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<uint64_t> NonNegativeParameter(const ParameterValue& value, const std::string& name, const std::string& where) {
  const int64_t* number = std::get_if<int64_t>(&value);
  if (number == nullptr || *number < 0) return Invalid(where + ": parameter '" + name + "' must be a non-negative integer");
  return static_cast<uint64_t>(*number);
}

}  // namespace

Result<DecodedInferRequest> DecodeInferRequest(const std::shared_ptr<RequestBuffer>& body,
                                               std::optional<std::string_view> header_length, std::string model,
                                               std::string version) {
  size_t json_size = body->size();
  if (header_length) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(header_length->data(), header_length->data() + header_length->size(), value);
    if (error != std::errc() || end != header_length->data() + header_length->size()) {
      return Invalid("Inference-Header-Content-Length '" + std::string(*header_length) + "' is not a byte count");
    }
    if (value > body->size()) {
      return Invalid("Inference-Header-Content-Length " + std::to_string(value) + " exceeds the body of " +
                     std::to_string(body->size()) + " bytes");
    }
    json_size = static_cast<size_t>(value);
  }

  // The parsed values go to a pool whose first chunk is on the stack: a
  // typical request's JSON header fits, saving rapidjson's 64 KiB chunk
  // allocation per request; larger ones grow the pool on the heap.
  char pool_chunk[4096];
  rapidjson::MemoryPoolAllocator<> pool(pool_chunk, sizeof(pool_chunk));
  rapidjson::Document document(&pool);
  document.Parse<kV2JsonParseFlags>(body->data() ? body->data() : "", json_size);
  if (document.HasParseError()) {
    return Invalid("malformed JSON in the request at offset " + std::to_string(document.GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) return Invalid(std::string("the request must be a JSON object, not ") + JsonTypeName(document));

  DecodedInferRequest decoded;
  InferRequest& request = decoded.request;
  request.model_name = std::move(model);
  request.model_version = std::move(version);

  if (auto it = document.FindMember("id"); it != document.MemberEnd()) {
    if (!it->value.IsString()) return Invalid(std::string("request: 'id' must be a string, not ") + JsonTypeName(it->value));
    request.id.assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (auto it = document.FindMember("parameters"); it != document.MemberEnd()) {
    KILN_ASSIGN_OR_RETURN(Parameters parameters, ParseParameters(it->value, "request"));
    for (auto& [key, value] : parameters) {
      if (key == "binary_data_output") {
        const bool* flag = std::get_if<bool>(&value);
        if (flag == nullptr) return Invalid("request: parameter 'binary_data_output' must be a bool");
        decoded.output_format.binary_by_default = *flag;
      } else if (key == "priority") {
        KILN_ASSIGN_OR_RETURN(request.priority, NonNegativeParameter(value, key, "request"));
      } else if (key == "timeout") {
        KILN_ASSIGN_OR_RETURN(request.timeout_us, NonNegativeParameter(value, key, "request"));
      } else {
        request.parameters.emplace(key, std::move(value));
      }
    }
  }

  auto inputs_it = document.FindMember("inputs");
  if (inputs_it == document.MemberEnd()) return Invalid("request: missing 'inputs'");
  if (!inputs_it->value.IsArray()) {
    return Invalid(std::string("request: 'inputs' must be an array, not ") + JsonTypeName(inputs_it->value));
  }
  size_t binary_offset = json_size;
  std::set<std::string> input_names;
  for (const Value& json : inputs_it->value.GetArray()) {
    if (!json.IsObject()) return Invalid(std::string("request: every input must be an object, not ") + JsonTypeName(json));
    KILN_ASSIGN_OR_RETURN(std::string name, RequiredString(json, "name", "input"));
    const std::string where = InputWhere(name);
    if (!input_names.insert(name).second) return Invalid(where + " appears more than once");
    KILN_ASSIGN_OR_RETURN(std::string datatype, RequiredString(json, "datatype", where));
    const std::optional<DataType> dtype = DataTypeFromV2Name(datatype);
    if (!dtype) return Invalid(where + ": unknown datatype '" + datatype + "'");
    auto shape_it = json.FindMember("shape");
    if (shape_it == json.MemberEnd()) return Invalid(where + ": missing 'shape'");
    KILN_ASSIGN_OR_RETURN(Shape shape, ParseShape(shape_it->value, where));
    KILN_ASSIGN_OR_RETURN(uint64_t count, CheckedElementCount(shape, where));

    InferInput input;
    input.name = name;
    std::optional<uint64_t> binary_size;
    if (auto it = json.FindMember("parameters"); it != json.MemberEnd()) {
      KILN_ASSIGN_OR_RETURN(Parameters parameters, ParseParameters(it->value, where));
      for (auto& [key, value] : parameters) {
        if (key == "binary_data_size") {
          KILN_ASSIGN_OR_RETURN(binary_size, NonNegativeParameter(value, key, where));
        } else {
          input.parameters.emplace(key, std::move(value));
        }
      }
    }
    auto data_it = json.FindMember("data");
    if (binary_size) {
      if (data_it != json.MemberEnd()) return Invalid(where + ": has both 'data' and binary_data_size");
      if (!header_length) {
        return Invalid(where + ": has binary_data_size but the request has no Inference-Header-Content-Length header");
      }
      if (*binary_size > body->size() - binary_offset) {
        return Invalid(where + ": binary_data_size " + std::to_string(*binary_size) + " runs past the end of the body (" +
                       std::to_string(body->size() - binary_offset) + " bytes of binary data left)");
      }
      KILN_ASSIGN_OR_RETURN(input.tensor, TensorFromBinary(*dtype, shape, count, body, binary_offset,
                                                           static_cast<size_t>(*binary_size), where));
      binary_offset += static_cast<size_t>(*binary_size);
    } else {
      if (data_it == json.MemberEnd()) return Invalid(where + ": missing 'data' (or binary_data_size)");
      KILN_ASSIGN_OR_RETURN(input.tensor, TensorFromJson(*dtype, shape, count, data_it->value, where));
    }
    request.inputs.push_back(std::move(input));
  }
  if (binary_offset != body->size()) {
    return Invalid(std::to_string(body->size() - binary_offset) +
                   " bytes of binary data after the JSON header belong to no input");
  }

  if (auto it = document.FindMember("outputs"); it != document.MemberEnd()) {
    if (!it->value.IsArray()) return Invalid(std::string("request: 'outputs' must be an array, not ") + JsonTypeName(it->value));
    std::set<std::string> output_names;
    for (const Value& json : it->value.GetArray()) {
      if (!json.IsObject()) return Invalid(std::string("request: every output must be an object, not ") + JsonTypeName(json));
      KILN_ASSIGN_OR_RETURN(std::string name, RequiredString(json, "name", "output"));
      const std::string where = "output '" + name + "'";
      if (!output_names.insert(name).second) return Invalid(where + " is requested more than once");
      RequestedOutput output;
      output.name = name;
      if (auto params_it = json.FindMember("parameters"); params_it != json.MemberEnd()) {
        KILN_ASSIGN_OR_RETURN(Parameters parameters, ParseParameters(params_it->value, where));
        for (auto& [key, value] : parameters) {
          if (key == "binary_data") {
            const bool* flag = std::get_if<bool>(&value);
            if (flag == nullptr) return Invalid(where + ": parameter 'binary_data' must be a bool");
            (*flag ? decoded.output_format.binary : decoded.output_format.json).insert(name);
          } else if (key == "classification") {
            const int64_t* k = std::get_if<int64_t>(&value);
            if (k == nullptr || *k < 1 || *k > std::numeric_limits<uint32_t>::max()) {
              return Invalid(where + ": parameter 'classification' must be a positive integer");
            }
            output.classification = static_cast<uint32_t>(*k);
          } else {
            output.parameters.emplace(key, std::move(value));
          }
        }
      }
      request.outputs.push_back(std::move(output));
    }
  }
  return decoded;
}

}  // namespace kiln::server
