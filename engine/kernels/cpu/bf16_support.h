// Whether this CPU runs oneDNN's bfloat16 kernels natively (AVX-512 BF16 or
// AMX), for `--precision bf16`. Pure query; thread-safe.
#pragma once

#include <string>

namespace kiln::cpu {

bool CpuSupportsBf16();
// oneDNN's name for the instruction set it uses here, e.g. "avx512_core_vnni".
std::string CpuIsaName();

}  // namespace kiln::cpu
