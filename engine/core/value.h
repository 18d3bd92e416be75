// Value: what flows along a graph edge at run time — a tensor, a sequence of
// tensors, or "none" (an absent optional, or a missing optional input).
#pragma once

#include <utility>
#include <variant>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {

// An ONNX sequence: an ordered list of tensors sharing one element type.
struct Sequence {
  DataType elem_type = DataType::kUndefined;
  std::vector<Tensor> items;
};

class Value {
 public:
  Value() = default;  // none
  Value(Tensor t) : data_(std::move(t)) {}  // NOLINT: implicit by design
  Value(Sequence s) : data_(std::move(s)) {}  // NOLINT

  static Value None() { return Value(); }

  bool is_none() const { return std::holds_alternative<std::monostate>(data_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(data_); }
  bool is_sequence() const { return std::holds_alternative<Sequence>(data_); }

  const Tensor& tensor() const { return std::get<Tensor>(data_); }
  Tensor& tensor() { return std::get<Tensor>(data_); }
  const Sequence& sequence() const { return std::get<Sequence>(data_); }
  Sequence& sequence() { return std::get<Sequence>(data_); }

  // "tensor(float32)[1,3]", "sequence(int64)[2 items]", "none"
  std::string Describe() const;

 private:
  std::variant<std::monostate, Tensor, Sequence> data_;
};

}  // namespace kiln
