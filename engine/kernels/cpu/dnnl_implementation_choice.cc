#include "engine/kernels/cpu/dnnl_implementation_choice.h"

#include <algorithm>

namespace kiln::cpu {

bool IsFirstGenerationAmxConvolution(const std::string& implementation) {
  const bool first_generation = implementation.rfind("jit:", 0) == 0 || implementation.rfind("jit_1x1:", 0) == 0;
  return first_generation && implementation.find("avx512_core_amx") != std::string::npos;
}

std::string PreferFastInt8Convolution(dnnl::convolution_forward::primitive_desc& pd, double macs, long reduction,
                                      int threads) {
  std::string chosen = pd.impl_info_str();
  const bool amx_pays = macs / std::max(threads, 1) >= kMinAmxMacsPerThread && reduction >= kAmxInt8TileDepth;
  if (amx_pays || !IsFirstGenerationAmxConvolution(chosen)) return chosen;
  // The copy shares pd's implementation iterator but pd keeps its own
  // descriptor, so a problem only first-generation AMX accepts keeps it.
  dnnl::convolution_forward::primitive_desc candidate = pd;
  while (candidate.next_impl()) {
    const std::string implementation = candidate.impl_info_str();
    if (!IsFirstGenerationAmxConvolution(implementation)) {
      pd = candidate;
      return implementation;
    }
  }
  return chosen;
}

}  // namespace kiln::cpu
