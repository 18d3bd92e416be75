#include "server/core/datatype.h"

#include <array>
#include <utility>

namespace kiln::server {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 14> kV2Names = {{
    {DataType::kBool, "BOOL"},
    {DataType::kUInt8, "UINT8"},
    {DataType::kUInt16, "UINT16"},
    {DataType::kUInt32, "UINT32"},
    {DataType::kUInt64, "UINT64"},
    {DataType::kInt8, "INT8"},
    {DataType::kInt16, "INT16"},
    {DataType::kInt32, "INT32"},
    {DataType::kInt64, "INT64"},
    {DataType::kFloat16, "FP16"},
    {DataType::kFloat, "FP32"},
    {DataType::kDouble, "FP64"},
    {DataType::kBFloat16, "BF16"},
    {DataType::kString, "BYTES"},
}};

}  // namespace

std::string_view V2DataTypeName(DataType dtype) {
  for (const auto& [type, name] : kV2Names) {
    if (type == dtype) return name;
  }
  return {};
}

std::optional<DataType> DataTypeFromV2Name(std::string_view name) {
  for (const auto& [type, v2_name] : kV2Names) {
    if (v2_name == name) return type;
  }
  return std::nullopt;
}

}  // namespace kiln::server
