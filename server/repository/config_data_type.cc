#include "server/repository/config_data_type.h"

#include <array>
#include <utility>

namespace kiln::server {
namespace {

constexpr std::array<std::pair<inference::DataType, DataType>, 14> kTypes = {{
    {inference::TYPE_BOOL, DataType::kBool},
    {inference::TYPE_UINT8, DataType::kUInt8},
    {inference::TYPE_UINT16, DataType::kUInt16},
    {inference::TYPE_UINT32, DataType::kUInt32},
    {inference::TYPE_UINT64, DataType::kUInt64},
    {inference::TYPE_INT8, DataType::kInt8},
    {inference::TYPE_INT16, DataType::kInt16},
    {inference::TYPE_INT32, DataType::kInt32},
    {inference::TYPE_INT64, DataType::kInt64},
    {inference::TYPE_FP16, DataType::kFloat16},
    {inference::TYPE_FP32, DataType::kFloat},
    {inference::TYPE_FP64, DataType::kDouble},
    {inference::TYPE_STRING, DataType::kString},
    {inference::TYPE_BF16, DataType::kBFloat16},
}};

}  // namespace

std::optional<DataType> EngineDataType(inference::DataType type) {
  for (const auto& [config, engine] : kTypes) {
    if (config == type) return engine;
  }
  return std::nullopt;
}

inference::DataType ConfigDataType(DataType dtype) {
  for (const auto& [config, engine] : kTypes) {
    if (engine == dtype) return config;
  }
  return inference::TYPE_INVALID;
}

std::string ConfigDataTypeName(inference::DataType type) {
  if (inference::DataType_IsValid(type)) return inference::DataType_Name(type);
  return "<unknown " + std::to_string(static_cast<int>(type)) + ">";
}

}  // namespace kiln::server
