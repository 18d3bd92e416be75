// Conversion between ONNX's serialized values (TensorProto, SequenceProto,
// OptionalProto) and Kiln's Tensor / Value.
#pragma once

#include <memory>
#include <string>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "engine/ir/type_info.h"

namespace onnx {
class TensorProto;
class SequenceProto;
class OptionalProto;
class TypeProto;
}  // namespace onnx

namespace kiln::onnx_import {

// Decodes a TensorProto (raw_data, typed fields or external data). External
// data is read relative to `base_dir`; a location that is absolute or leaves
// base_dir is refused.
Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir);
// Decodes a TensorProto whose raw_data was kept out of the message
// (initializer_payloads.h): [data, data + length) holds it, and `owner`
// keeps that memory alive. The tensor borrows the memory when it is
// suitably aligned for the element type (no copy); bool payloads and
// misaligned ones are copied, and the mapped pages they were copied from
// are released (madvise), so `data` must lie in a private file mapping.
Result<Tensor> TensorFromPayload(const onnx::TensorProto& proto, const char* data, size_t length,
                                 const std::shared_ptr<void>& owner);
Result<Value> ValueFromSequenceProto(const onnx::SequenceProto& proto);
Result<Value> ValueFromOptionalProto(const onnx::OptionalProto& proto);

// Parses a serialized TensorProto / SequenceProto / OptionalProto, choosing by
// `expected` (the graph input's or output's declared type).
Result<Value> ParseValue(const std::string& bytes, const ir::TypeInfo& expected);

}  // namespace kiln::onnx_import
