// TypeInfo: the static type of a graph value as the model declares or shape
// inference derives it — kind (tensor, sequence, optional), element type and
// a shape whose dimensions may be fixed, symbolic ("batch") or unknown.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/dtype.h"

namespace kiln::ir {

struct Dim {
  int64_t value = -1;  // >= 0 when fixed
  std::string symbol;  // set for a named dynamic dimension

  bool is_fixed() const { return value >= 0; }
  std::string ToString() const { return is_fixed() ? std::to_string(value) : (symbol.empty() ? "?" : symbol); }
};

struct TypeInfo {
  enum class Kind { kUnknown, kTensor, kSequence, kOptional, kMap, kSparseTensor };

  Kind kind = Kind::kUnknown;
  DataType elem_type = DataType::kUndefined;    // for kTensor
  std::optional<std::vector<Dim>> shape;         // for kTensor; nullopt = unknown rank
  std::shared_ptr<TypeInfo> inner;               // for kSequence and kOptional

  static TypeInfo Tensor(DataType dt, std::optional<std::vector<Dim>> shape = std::nullopt) {
    TypeInfo t;
    t.kind = Kind::kTensor;
    t.elem_type = dt;
    t.shape = std::move(shape);
    return t;
  }
  // "tensor(float32)[batch,3,224,224]", "sequence(tensor(int64))", "optional(...)"
  std::string ToString() const;
};

// A named, typed graph input, output or intermediate.
struct ValueInfo {
  std::string name;
  TypeInfo type;
};

}  // namespace kiln::ir
