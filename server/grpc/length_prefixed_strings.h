// The raw wire form of a BYTES tensor in KServe v2 (raw_input_contents /
// raw_output_contents, and the binary tensor data extension): each element
// as a 4-byte little-endian length followed by that many bytes, elements in
// row-major order, nothing between them. Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::server {

// A string tensor of `shape` from `raw`. InvalidArgument (naming `tensor_name`)
// when `raw` holds fewer or more elements than the shape has, or an element's
// length runs past the end.
Result<Tensor> ParseLengthPrefixedStrings(std::string_view tensor_name, const Shape& shape, std::string_view raw);

// Appends every element of the string tensor `tensor` to `out`.
void AppendLengthPrefixedStrings(const Tensor& tensor, std::string* out);

}  // namespace kiln::server
