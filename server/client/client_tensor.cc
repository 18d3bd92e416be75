#include "server/client/client_tensor.h"

#include <cstring>

#include "server/core/datatype.h"

namespace kiln::server {

Result<ClientTensor> ToClientTensor(const std::string& name, const Tensor& tensor) {
  ClientTensor out;
  out.name = name;
  out.datatype = std::string(V2DataTypeName(tensor.dtype()));
  if (out.datatype.empty()) {
    return Status::InvalidArgument("tensor '" + name + "' has data type " +
                                   std::string(DataTypeName(tensor.dtype())) + ", which KServe v2 cannot carry");
  }
  out.shape = tensor.shape();
  if (tensor.dtype() == DataType::kString) {
    const std::string* elements = tensor.data<std::string>();
    for (int64_t i = 0; i < tensor.num_elements(); ++i) {
      const uint32_t length = static_cast<uint32_t>(elements[i].size());
      char prefix[4] = {static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
                        static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
      out.data.append(prefix, 4);
      out.data.append(elements[i]);
    }
  } else {
    out.data.assign(static_cast<const char*>(tensor.raw_data()), tensor.byte_size());
  }
  return out;
}

Status CheckClientTensorSize(const ClientTensor& tensor) {
  int64_t elements = 1;
  for (int64_t d : tensor.shape) {
    if (d < 0) return Status::InvalidArgument("tensor '" + tensor.name + "' has a negative dimension");
    elements *= d;
  }
  const std::optional<DataType> dtype = DataTypeFromV2Name(tensor.datatype);
  if (!dtype) return Status::InvalidArgument("tensor '" + tensor.name + "' has unknown datatype '" + tensor.datatype + "'");
  if (*dtype == DataType::kString) {
    size_t offset = 0;
    for (int64_t i = 0; i < elements; ++i) {
      uint32_t length = 0;
      if (offset + 4 <= tensor.data.size()) {
        for (int b = 3; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(tensor.data[offset + b]);
      }
      if (offset + 4 > tensor.data.size() || offset + 4 + length > tensor.data.size()) {
        return Status::InvalidArgument("BYTES tensor '" + tensor.name + "' ends inside element " + std::to_string(i));
      }
      offset += 4 + length;
    }
    if (offset != tensor.data.size()) {
      return Status::InvalidArgument("BYTES tensor '" + tensor.name + "' has " +
                                     std::to_string(tensor.data.size() - offset) + " bytes after its " +
                                     std::to_string(elements) + " elements");
    }
    return Status::Ok();
  }
  const size_t expected = static_cast<size_t>(elements) * DataTypeSize(*dtype);
  if (tensor.data.size() != expected) {
    return Status::InvalidArgument("tensor '" + tensor.name + "' has " + std::to_string(tensor.data.size()) +
                                   " bytes; its shape and datatype need " + std::to_string(expected));
  }
  return Status::Ok();
}

}  // namespace kiln::server
