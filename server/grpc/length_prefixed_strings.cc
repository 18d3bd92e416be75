#include "server/grpc/length_prefixed_strings.h"

#include <cstdint>

namespace kiln::server {

Result<Tensor> ParseLengthPrefixedStrings(std::string_view tensor_name, const Shape& shape, std::string_view raw) {
  const int64_t count = NumElements(shape);
  // Every element takes at least its 4-byte length: refuse impossible counts
  // before allocating for them.
  if (count < 0 || static_cast<uint64_t>(count) > raw.size() / 4) {
    return Status::InvalidArgument("input '" + std::string(tensor_name) + "': " + std::to_string(raw.size()) +
                                   " bytes of raw BYTES data cannot hold the " + std::to_string(count) +
                                   " elements of shape " + ShapeToString(shape));
  }
  Tensor tensor = Tensor::Allocate(DataType::kString, shape);
  std::string* elements = tensor.data<std::string>();
  size_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (raw.size() - offset < 4) {
      return Status::InvalidArgument("input '" + std::string(tensor_name) + "': raw BYTES data holds " +
                                     std::to_string(i) + " elements, the shape " + ShapeToString(shape) + " needs " +
                                     std::to_string(count));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + offset);
    const uint32_t length = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                            (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    offset += 4;
    if (raw.size() - offset < length) {
      return Status::InvalidArgument("input '" + std::string(tensor_name) + "': BYTES element " + std::to_string(i) +
                                     " claims " + std::to_string(length) + " bytes, only " +
                                     std::to_string(raw.size() - offset) + " remain");
    }
    elements[i].assign(raw.data() + offset, length);
    offset += length;
  }
  if (offset != raw.size()) {
    return Status::InvalidArgument("input '" + std::string(tensor_name) + "': raw BYTES data has " +
                                   std::to_string(raw.size() - offset) + " bytes after the " + std::to_string(count) +
                                   " elements of shape " + ShapeToString(shape));
  }
  return tensor;
}

void AppendLengthPrefixedStrings(const Tensor& tensor, std::string* out) {
  const std::string* elements = tensor.data<std::string>();
  size_t total = 0;
  for (int64_t i = 0; i < tensor.num_elements(); ++i) total += 4 + elements[i].size();
  out->reserve(out->size() + total);
  for (int64_t i = 0; i < tensor.num_elements(); ++i) {
    const auto length = static_cast<uint32_t>(elements[i].size());
    const char prefix[4] = {static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
                            static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
    out->append(prefix, 4);
    out->append(elements[i]);
  }
}

}  // namespace kiln::server
