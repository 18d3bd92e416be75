#include "engine/quantization/quantize_options.h"

namespace kiln::quantization {

bool ParseRangeMethod(const std::string& name, RangeMethod* method) {
  if (name == "minmax") *method = RangeMethod::kMinMax;
  else if (name == "percentile") *method = RangeMethod::kPercentile;
  else if (name == "entropy") *method = RangeMethod::kEntropy;
  else return false;
  return true;
}

const char* RangeMethodName(RangeMethod method) {
  switch (method) {
    case RangeMethod::kMinMax: return "minmax";
    case RangeMethod::kPercentile: return "percentile";
    case RangeMethod::kEntropy: return "entropy";
  }
  return "?";
}

}  // namespace kiln::quantization
