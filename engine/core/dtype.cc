#include "engine/core/dtype.h"

namespace kiln {

std::string_view DataTypeName(DataType dt) {
  switch (dt) {
    case DataType::kFloat: return "float32";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUInt16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kDouble: return "float64";
    case DataType::kUInt32: return "uint32";
    case DataType::kUInt64: return "uint64";
    case DataType::kComplex64: return "complex64";
    case DataType::kComplex128: return "complex128";
    case DataType::kBFloat16: return "bfloat16";
    case DataType::kUndefined: break;
  }
  return "undefined";
}

size_t DataTypeSize(DataType dt) {
  switch (dt) {
    case DataType::kFloat: case DataType::kInt32: case DataType::kUInt32: return 4;
    case DataType::kDouble: case DataType::kInt64: case DataType::kUInt64:
    case DataType::kComplex64: return 8;
    case DataType::kComplex128: return 16;
    case DataType::kFloat16: case DataType::kBFloat16: case DataType::kInt16:
    case DataType::kUInt16: return 2;
    case DataType::kInt8: case DataType::kUInt8: case DataType::kBool: return 1;
    case DataType::kString: case DataType::kUndefined: return 0;
  }
  return 0;
}

bool IsFloatingPoint(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kDouble || dt == DataType::kFloat16 ||
         dt == DataType::kBFloat16;
}

bool IsSignedInteger(DataType dt) {
  return dt == DataType::kInt8 || dt == DataType::kInt16 || dt == DataType::kInt32 ||
         dt == DataType::kInt64;
}

bool IsInteger(DataType dt) {
  return IsSignedInteger(dt) || dt == DataType::kUInt8 || dt == DataType::kUInt16 ||
         dt == DataType::kUInt32 || dt == DataType::kUInt64;
}

bool IsKnownDataType(int32_t code) { return code >= 1 && code <= 16; }

}  // namespace kiln
