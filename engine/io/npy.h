// NumPy .npy files (format 1.0; 2.0 and 3.0 are read too): little-endian, C
// order. Strings are NumPy unicode arrays ('<U<n>', UTF-32 on disk, UTF-8
// in Kiln); bfloat16 is stored as 2-byte void ('<V2', as ml_dtypes writes).
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::io {

// Parses .npy bytes. `label` names the source in error messages.
Result<Tensor> ParseNpy(const std::string& bytes, const std::string& label);
Result<Tensor> ReadNpyFile(const std::string& path);

std::string SerializeNpy(const Tensor& tensor);
Status WriteNpyFile(const std::string& path, const Tensor& tensor);

}  // namespace kiln::io
