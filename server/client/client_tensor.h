// ClientTensor: a tensor as a KServe v2 client sends or receives it — name,
// v2 datatype, shape and the raw little-endian element bytes (the binary
// tensor data format shared by HTTP's binary extension and gRPC's
// raw_input_contents: BYTES elements are each a 4-byte little-endian length
// followed by the bytes).
//
// Plain value; conversions are pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::server {

struct ClientTensor {
  std::string name;
  std::string datatype;  // v2 name, e.g. "FP32"
  std::vector<int64_t> shape;
  std::string data;  // raw bytes
};

// The raw bytes of an engine tensor (strings length-prefixed as above) and
// its v2 datatype; InvalidArgument for a dtype the protocol cannot carry.
Result<ClientTensor> ToClientTensor(const std::string& name, const Tensor& tensor);

// Checks that `tensor.data` holds exactly what its datatype and shape need
// (every length prefix for BYTES). InvalidArgument otherwise.
Status CheckClientTensorSize(const ClientTensor& tensor);

}  // namespace kiln::server
