// Element types of tensors, numbered as ONNX's TensorProto.DataType so that
// conversion from a model is a cast, plus compile-time dispatch helpers.
//
// Dispatch: `DispatchType<AllNumericTypes>(dtype, [&](auto tag) { using T =
// typename decltype(tag)::type; ... })` calls the lambda with the C++ type
// for `dtype`, or returns Unimplemented naming the dtype when it is not in
// the list.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "engine/core/half.h"
#include "engine/core/status.h"

namespace kiln {

enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
};

// "float32", "int64", "string", ... ; "undefined" for unknown codes.
std::string_view DataTypeName(DataType dt);
// Bytes per element; 0 for string and undefined.
size_t DataTypeSize(DataType dt);
bool IsFloatingPoint(DataType dt);  // float16/32/64, bfloat16
bool IsInteger(DataType dt);        // signed or unsigned, not bool
bool IsSignedInteger(DataType dt);
bool IsKnownDataType(int32_t code);

// C++ type <-> DataType.
template <typename T> struct DataTypeOf;
#define KILN_DATATYPE_OF(T, DT) \
  template <> struct DataTypeOf<T> { static constexpr DataType value = DataType::DT; }
KILN_DATATYPE_OF(float, kFloat);
KILN_DATATYPE_OF(double, kDouble);
KILN_DATATYPE_OF(Float16, kFloat16);
KILN_DATATYPE_OF(BFloat16, kBFloat16);
KILN_DATATYPE_OF(int8_t, kInt8);
KILN_DATATYPE_OF(int16_t, kInt16);
KILN_DATATYPE_OF(int32_t, kInt32);
KILN_DATATYPE_OF(int64_t, kInt64);
KILN_DATATYPE_OF(uint8_t, kUInt8);
KILN_DATATYPE_OF(uint16_t, kUInt16);
KILN_DATATYPE_OF(uint32_t, kUInt32);
KILN_DATATYPE_OF(uint64_t, kUInt64);
KILN_DATATYPE_OF(bool, kBool);
KILN_DATATYPE_OF(std::string, kString);
KILN_DATATYPE_OF(std::complex<float>, kComplex64);
KILN_DATATYPE_OF(std::complex<double>, kComplex128);
#undef KILN_DATATYPE_OF

template <typename T> inline constexpr DataType kDataTypeOf = DataTypeOf<T>::value;

template <typename T> struct TypeTag { using type = T; };
template <typename... Ts> struct TypeList {};

using FloatTypes = TypeList<float, double, Float16, BFloat16>;
using SignedIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t>;
using UnsignedIntTypes = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using AllNumericTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                 int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using NumericAndBoolTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                     int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;
using AllTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t,
                          uint8_t, uint16_t, uint32_t, uint64_t, bool, std::string>;

namespace detail {
template <typename F, typename T, typename... Rest>
Status DispatchImpl(DataType dt, F& f) {
  if (dt == kDataTypeOf<T>) {
    if constexpr (std::is_same_v<decltype(f(TypeTag<T>{})), void>) {
      f(TypeTag<T>{});
      return Status::Ok();
    } else {
      return f(TypeTag<T>{});
    }
  }
  if constexpr (sizeof...(Rest) > 0) {
    return DispatchImpl<F, Rest...>(dt, f);
  } else {
    return Status::Unimplemented(std::string("data type ") + std::string(DataTypeName(dt)) +
                                 " is not supported here");
  }
}
template <typename List> struct Dispatcher;
template <typename... Ts> struct Dispatcher<TypeList<Ts...>> {
  template <typename F> static Status Run(DataType dt, F& f) { return DispatchImpl<F, Ts...>(dt, f); }
};
}  // namespace detail

// Calls f(TypeTag<T>{}) for the T in `List` that matches dt. f returns void or Status.
template <typename List, typename F>
Status DispatchType(DataType dt, F&& f) {
  return detail::Dispatcher<List>::Run(dt, f);
}

}  // namespace kiln
