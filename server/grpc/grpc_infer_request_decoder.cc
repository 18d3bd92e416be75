#include "server/grpc/grpc_infer_request_decoder.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <string_view>

#include "server/core/datatype.h"
#include "server/grpc/grpc_infer_parameters.h"
#include "server/grpc/length_prefixed_strings.h"

namespace kiln::server {
namespace {

using inference::InferTensorContents;
using inference::ModelInferRequest;

Status InputError(const std::string& input, const std::string& what) {
  return Status::InvalidArgument("input '" + input + "': " + what);
}

// The element count of `shape`; InvalidArgument for a negative dimension or
// when the product of the non-zero dimensions overflows int64 (refused even
// when another dimension is 0).
Result<int64_t> ElementCount(const std::string& input, const Shape& shape) {
  uint64_t nonzero_product = 1;
  bool has_zero = false;
  for (int64_t d : shape) {
    if (d < 0) return InputError(input, "shape " + ShapeToString(shape) + " has a negative dimension");
    if (d == 0) {
      has_zero = true;
    } else if (__builtin_mul_overflow(nonzero_product, static_cast<uint64_t>(d), &nonzero_product) ||
               nonzero_product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InputError(input, "shape " + ShapeToString(shape) + " has too many elements");
    }
  }
  return has_zero ? int64_t{0} : static_cast<int64_t>(nonzero_product);
}

// Which InferTensorContents list carries `dtype`; empty for FP16/BF16.
std::string_view ContentsFieldFor(DataType dtype) {
  switch (dtype) {
    case DataType::kBool:
      return "bool_contents";
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      return "int_contents";
    case DataType::kInt64:
      return "int64_contents";
    case DataType::kUInt8:
    case DataType::kUInt16:
    case DataType::kUInt32:
      return "uint_contents";
    case DataType::kUInt64:
      return "uint64_contents";
    case DataType::kFloat:
      return "fp32_contents";
    case DataType::kDouble:
      return "fp64_contents";
    case DataType::kString:
      return "bytes_contents";
    default:
      return {};
  }
}

// Names and sizes of the non-empty lists in `contents`.
std::vector<std::pair<std::string_view, int>> NonEmptyContentLists(const InferTensorContents& c) {
  std::vector<std::pair<std::string_view, int>> lists;
  const std::pair<std::string_view, int> all[] = {
      {"bool_contents", c.bool_contents_size()},   {"int_contents", c.int_contents_size()},
      {"int64_contents", c.int64_contents_size()}, {"uint_contents", c.uint_contents_size()},
      {"uint64_contents", c.uint64_contents_size()}, {"fp32_contents", c.fp32_contents_size()},
      {"fp64_contents", c.fp64_contents_size()},   {"bytes_contents", c.bytes_contents_size()},
  };
  for (const auto& entry : all) {
    if (entry.second > 0) lists.push_back(entry);
  }
  return lists;
}

bool HasTypedContents(const ModelInferRequest::InferInputTensor& input) {
  return input.has_contents() && !NonEmptyContentLists(input.contents()).empty();
}

// A tensor over `values` (a RepeatedField whose element type is the engine's),
// kept alive by `owner`.
template <typename T, typename Field>
Tensor BorrowField(const Field& values, const Shape& shape, const std::shared_ptr<void>& owner) {
  if (values.empty()) return Tensor::Allocate(kDataTypeOf<T>, shape);
  return Tensor::Borrow(kDataTypeOf<T>, shape, const_cast<T*>(values.data()), owner);
}

// Copies `values` into a narrower integer type, refusing values out of range.
template <typename T, typename Field>
Result<Tensor> NarrowField(const std::string& input, const Field& values, const Shape& shape) {
  Tensor tensor = Tensor::Allocate(kDataTypeOf<T>, shape);
  T* out = tensor.data<T>();
  for (int i = 0; i < values.size(); ++i) {
    const auto v = values.Get(i);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      return InputError(input, "element " + std::to_string(i) + " value " + std::to_string(v) + " is out of range for " +
                                   std::string(V2DataTypeName(kDataTypeOf<T>)));
    }
    out[i] = static_cast<T>(v);
  }
  return tensor;
}

Result<Tensor> TensorFromContents(const ModelInferRequest::InferInputTensor& input, DataType dtype, const Shape& shape,
                                  int64_t count, const std::shared_ptr<void>& owner) {
  const std::string& name = input.name();
  const std::string_view expected = ContentsFieldFor(dtype);
  const std::string type_name(V2DataTypeName(dtype));
  if (expected.empty()) {
    return InputError(name, type_name + " data must be sent in raw_input_contents (InferTensorContents has no " +
                                type_name + " list)");
  }
  const InferTensorContents& c = input.contents();
  int64_t supplied = 0;
  for (const auto& [list, size] : NonEmptyContentLists(c)) {
    if (list != expected) {
      return InputError(name, "datatype " + type_name + " expects its data in " + std::string(expected) +
                                  ", got " + std::string(list));
    }
    supplied = size;
  }
  if (supplied != count) {
    return InputError(name, std::string(expected) + " holds " + std::to_string(supplied) + " elements, shape " +
                                ShapeToString(shape) + " needs " + std::to_string(count));
  }
  switch (dtype) {
    case DataType::kBool:
      return BorrowField<bool>(c.bool_contents(), shape, owner);
    case DataType::kInt8:
      return NarrowField<int8_t>(name, c.int_contents(), shape);
    case DataType::kInt16:
      return NarrowField<int16_t>(name, c.int_contents(), shape);
    case DataType::kInt32:
      return BorrowField<int32_t>(c.int_contents(), shape, owner);
    case DataType::kInt64:
      return BorrowField<int64_t>(c.int64_contents(), shape, owner);
    case DataType::kUInt8:
      return NarrowField<uint8_t>(name, c.uint_contents(), shape);
    case DataType::kUInt16:
      return NarrowField<uint16_t>(name, c.uint_contents(), shape);
    case DataType::kUInt32:
      return BorrowField<uint32_t>(c.uint_contents(), shape, owner);
    case DataType::kUInt64:
      return BorrowField<uint64_t>(c.uint64_contents(), shape, owner);
    case DataType::kFloat:
      return BorrowField<float>(c.fp32_contents(), shape, owner);
    case DataType::kDouble:
      return BorrowField<double>(c.fp64_contents(), shape, owner);
    case DataType::kString: {
      Tensor tensor = Tensor::Allocate(DataType::kString, shape);
      std::string* out = tensor.data<std::string>();
      for (int64_t i = 0; i < count; ++i) out[i] = c.bytes_contents(static_cast<int>(i));
      return tensor;
    }
    default:
      return Status::Internal("input '" + name + "': no contents decoder for " + type_name);
  }
}

Result<Tensor> TensorFromRaw(const std::string& name, DataType dtype, const Shape& shape, int64_t count,
                             const std::string& raw, const std::shared_ptr<void>& owner) {
  if (dtype == DataType::kString) return ParseLengthPrefixedStrings(name, shape, raw);
  const size_t element_size = DataTypeSize(dtype);
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(count), element_size, &expected_bytes)) {
    return InputError(name, "shape " + ShapeToString(shape) + " is too large");
  }
  if (expected_bytes != raw.size()) {
    return InputError(name, "raw data has " + std::to_string(raw.size()) + " bytes, " +
                                std::string(V2DataTypeName(dtype)) + " shape " + ShapeToString(shape) + " needs " +
                                std::to_string(expected_bytes));
  }
  if (count == 0) return Tensor::Allocate(dtype, shape);
  const bool aligned = reinterpret_cast<uintptr_t>(raw.data()) % element_size == 0;
  bool valid_bools = true;
  if (dtype == DataType::kBool) {
    for (char byte : raw) valid_bools = valid_bools && (byte == 0 || byte == 1);
  }
  if (aligned && valid_bools) return Tensor::Borrow(dtype, shape, const_cast<char*>(raw.data()), owner);
  // Copy: misaligned bytes, or bools other than 0/1 (normalised to true).
  Tensor tensor = Tensor::Allocate(dtype, shape);
  if (dtype == DataType::kBool) {
    for (int64_t i = 0; i < count; ++i) tensor.data<bool>()[i] = raw[static_cast<size_t>(i)] != 0;
  } else {
    std::memcpy(tensor.raw_data(), raw.data(), raw.size());
  }
  return tensor;
}

// "priority" / "timeout" must be non-negative integers.
Result<uint64_t> NonNegativeParameter(const std::string& key, const ParameterValue& value) {
  const auto* v = std::get_if<int64_t>(&value);
  if (v == nullptr || *v < 0) {
    return Status::InvalidArgument("parameter '" + key + "' must be a non-negative integer");
  }
  return static_cast<uint64_t>(*v);
}

Status DecodeRequestParameters(const ModelInferRequest& message, InferRequest* request) {
  Parameters parameters;
  KILN_RETURN_IF_ERROR(ParametersFromGrpc(message.parameters(), &parameters));
  for (auto& [key, value] : parameters) {
    if (key == "priority") {
      KILN_ASSIGN_OR_RETURN(request->priority, NonNegativeParameter(key, value));
    } else if (key == "timeout") {
      KILN_ASSIGN_OR_RETURN(request->timeout_us, NonNegativeParameter(key, value));
    } else if (key == "binary_data_output") {
      // HTTP binary tensor extension flag: meaningless over gRPC.
    } else {
      request->parameters.emplace(key, std::move(value));
    }
  }
  return Status::Ok();
}

Status DecodeRequestedOutputs(const ModelInferRequest& message, InferRequest* request) {
  std::set<std::string> seen;
  for (const auto& output : message.outputs()) {
    if (output.name().empty()) return Status::InvalidArgument("a requested output has no name");
    if (!seen.insert(output.name()).second) {
      return Status::InvalidArgument("output '" + output.name() + "' is requested twice");
    }
    RequestedOutput requested;
    requested.name = output.name();
    Parameters parameters;
    KILN_RETURN_IF_ERROR(ParametersFromGrpc(output.parameters(), &parameters));
    for (auto& [key, value] : parameters) {
      if (key == "classification") {
        const auto* k = std::get_if<int64_t>(&value);
        if (k == nullptr || *k <= 0 || *k > std::numeric_limits<uint32_t>::max()) {
          return Status::InvalidArgument("output '" + output.name() +
                                         "': parameter 'classification' must be a positive integer");
        }
        requested.classification = static_cast<uint32_t>(*k);
      } else if (key == "binary_data") {
        // HTTP binary tensor extension flag: meaningless over gRPC.
      } else {
        requested.parameters.emplace(key, std::move(value));
      }
    }
    request->outputs.push_back(std::move(requested));
  }
  return Status::Ok();
}

}  // namespace

Result<DecodedGrpcInferRequest> DecodeGrpcInferRequest(std::shared_ptr<const ModelInferRequest> message) {
  const ModelInferRequest& m = *message;
  const std::shared_ptr<void> owner = std::const_pointer_cast<ModelInferRequest>(message);
  DecodedGrpcInferRequest decoded;
  InferRequest& request = decoded.request;
  if (m.model_name().empty()) return Status::InvalidArgument("model_name is empty");
  request.model_name = m.model_name();
  request.model_version = m.model_version();
  request.id = m.id();
  KILN_RETURN_IF_ERROR(DecodeRequestParameters(m, &request));
  KILN_RETURN_IF_ERROR(DecodeRequestedOutputs(m, &request));

  const bool raw = m.raw_input_contents_size() > 0;
  if (raw && m.raw_input_contents_size() != m.inputs_size()) {
    return Status::InvalidArgument("raw_input_contents has " + std::to_string(m.raw_input_contents_size()) +
                                   " entries for " + std::to_string(m.inputs_size()) + " inputs");
  }
  std::set<std::string> seen;
  request.inputs.reserve(static_cast<size_t>(m.inputs_size()));
  for (int i = 0; i < m.inputs_size(); ++i) {
    const auto& input = m.inputs(i);
    if (input.name().empty()) return Status::InvalidArgument("input " + std::to_string(i) + " has no name");
    if (!seen.insert(input.name()).second) return InputError(input.name(), "appears twice in the request");
    const std::optional<DataType> dtype = DataTypeFromV2Name(input.datatype());
    if (!dtype) return InputError(input.name(), "unknown datatype '" + input.datatype() + "'");
    Shape shape(input.shape().begin(), input.shape().end());
    KILN_ASSIGN_OR_RETURN(const int64_t count, ElementCount(input.name(), shape));

    InferInput decoded_input;
    decoded_input.name = input.name();
    KILN_RETURN_IF_ERROR(ParametersFromGrpc(input.parameters(), &decoded_input.parameters));
    decoded_input.parameters.erase("binary_data_size");
    const bool typed = HasTypedContents(input);
    if (raw) {
      if (typed) return InputError(input.name(), "has contents although the request uses raw_input_contents");
      KILN_ASSIGN_OR_RETURN(decoded_input.tensor,
                            TensorFromRaw(input.name(), *dtype, shape, count, m.raw_input_contents(i), owner));
    } else if (typed) {
      decoded.typed_contents = true;
      KILN_ASSIGN_OR_RETURN(decoded_input.tensor, TensorFromContents(input, *dtype, shape, count, owner));
    } else if (count == 0) {
      decoded_input.tensor = Tensor::Allocate(*dtype, shape);
    } else {
      return InputError(input.name(), "has no data (neither contents nor raw_input_contents)");
    }
    request.inputs.push_back(std::move(decoded_input));
  }
  return decoded;
}

Status InferRequestError(const InferenceService& service, const ModelInferRequest& message, Status decode_error) {
  if (message.model_name().empty()) return decode_error;
  Result<bool> ready = service.IsModelReady(message.model_name(), message.model_version());
  if (!ready.ok() && ready.status().code() == StatusCode::kNotFound) return ready.status();
  return decode_error;
}

}  // namespace kiln::server
