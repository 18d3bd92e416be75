#include "server/grpc/grpc_infer_parameters.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace kiln::server {

Result<ParameterValue> ParameterValueFromGrpc(const std::string& key, const inference::InferParameter& value) {
  using Choice = inference::InferParameter::ParameterChoiceCase;
  switch (value.parameter_choice_case()) {
    case Choice::kBoolParam:
      return ParameterValue(value.bool_param());
    case Choice::kInt64Param:
      return ParameterValue(static_cast<int64_t>(value.int64_param()));
    case Choice::kStringParam:
      return ParameterValue(value.string_param());
    case Choice::kUint64Param:
      if (value.uint64_param() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Status::InvalidArgument("parameter '" + key + "': uint64 value " +
                                       std::to_string(value.uint64_param()) + " is out of range");
      }
      return ParameterValue(static_cast<int64_t>(value.uint64_param()));
    case Choice::kDoubleParam: {
      char text[64];
      const auto result = std::to_chars(text, text + sizeof(text), value.double_param());
      return ParameterValue(std::string(text, result.ptr));
    }
    case Choice::PARAMETER_CHOICE_NOT_SET:
      break;
  }
  return Status::InvalidArgument("parameter '" + key + "' has no value");
}

Status ParametersFromGrpc(const GrpcParameterMap& from, Parameters* to) {
  for (const auto& [key, value] : from) {
    KILN_ASSIGN_OR_RETURN(ParameterValue converted, ParameterValueFromGrpc(key, value));
    (*to)[key] = std::move(converted);
  }
  return Status::Ok();
}

void ParameterValueToGrpc(const ParameterValue& value, inference::InferParameter* to) {
  std::visit(
      [to](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          to->set_bool_param(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          to->set_int64_param(v);
        } else {
          to->set_string_param(v);
        }
      },
      value);
}

void ParametersToGrpc(const Parameters& from, GrpcParameterMap* to) {
  for (const auto& [key, value] : from) ParameterValueToGrpc(value, &(*to)[key]);
}

}  // namespace kiln::server
