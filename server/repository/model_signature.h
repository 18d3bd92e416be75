// ModelSignature: what the configuration is checked against and completed
// from — the ONNX model's inputs and outputs (names, element types, shapes
// with dynamic dimensions as -1). Built from a loaded engine Session so that
// the repository code does not need the engine's IR. Plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/dtype.h"

namespace kiln {
class Session;
}

namespace kiln::server {

struct SignatureTensor {
  std::string name;
  DataType dtype = DataType::kUndefined;  // kUndefined: not a plain tensor (sequence, map, ...)
  std::optional<std::vector<int64_t>> dims;  // -1 = dynamic; nullopt = unknown rank
  bool has_default = false;  // an input with an initializer: requests may leave it out
};

struct ModelSignature {
  std::vector<SignatureTensor> inputs;
  std::vector<SignatureTensor> outputs;

  const SignatureTensor* FindInput(const std::string& name) const;
  const SignatureTensor* FindOutput(const std::string& name) const;
};

ModelSignature SignatureOf(const Session& session);

}  // namespace kiln::server
