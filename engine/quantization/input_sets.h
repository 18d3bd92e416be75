// Input sets for calibration and accuracy evaluation: each set feeds every
// runtime input of a model once. Loaded from a folder laid out like
// `kiln run --inputs` (one set), or a folder of such folders (one set per
// subfolder, in name order); or generated at random.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "engine/ir/graph.h"

namespace kiln::quantization {

using InputSet = std::map<std::string, Value>;

// InvalidArgument when the folder is missing, empty, or a set lacks an input
// the model needs (inputs with initializer defaults may be left out).
Result<std::vector<InputSet>> LoadInputSets(const std::string& dir, const ir::Model& model);

// `count` sets of uniform random floats in [-1, 1) (zeros for integer inputs);
// dynamic dimensions are 1. Unimplemented for non-tensor inputs.
Result<std::vector<InputSet>> RandomInputSets(const ir::Model& model, int count, uint32_t seed = 1234);

}  // namespace kiln::quantization
