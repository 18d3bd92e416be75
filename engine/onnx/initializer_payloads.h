// Initializer payloads kept out of the parsed protobuf.
//
// Parsing a ModelProto copies every initializer's raw_data into the
// message, and importing copies it again into a Tensor: a 400 MB model
// costs three times its size at load. StripInitializerPayloads walks the
// serialized model (protobuf wire format, no parsing into messages) and
// returns a skeleton — the same model with the raw_data of large main-graph
// initializers replaced by one placeholder byte — plus where each payload lies in the original
// bytes. The importer then points the tensors straight at the memory-mapped
// file (Tensor::Borrow), so weights are neither copied nor parsed.
//
// Only raw_data of the main graph's initializers at least `min_bytes` long
// is stripped; small tensors (shape inputs that ONNX shape inference reads)
// stay in the skeleton. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::onnx_import {

struct InitializerPayloads {
  // Per main-graph initializer, in order: offset and length of its raw_data
  // in the original bytes; length kNotStripped when it stayed in the skeleton.
  struct Range {
    size_t offset = 0;
    size_t length = 0;
  };
  static constexpr size_t kNotStripped = static_cast<size_t>(-1);

  std::vector<Range> ranges;
  const char* base = nullptr;     // the original bytes
  std::shared_ptr<void> owner;    // keeps `base` alive for borrowing tensors
};

struct StrippedModel {
  std::string skeleton;           // serialized ModelProto without the stripped payloads
  InitializerPayloads payloads;   // base/owner left for the caller to fill in
};

// nullopt when nothing is worth stripping or the bytes do not have the
// expected structure (the caller then parses them as they are).
std::optional<StrippedModel> StripInitializerPayloads(const char* data, size_t size, size_t min_bytes);

}  // namespace kiln::onnx_import
