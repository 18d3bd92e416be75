// Overrides oneDNN's first choice of implementation where it is measurably
// wrong on small work.
//
// oneDNN (2.6) lists its first-generation AMX int8 convolutions
// ("jit:avx512_core_amx*", "jit_1x1:avx512_core_amx*") ahead of everything
// else, so on CPUs with AMX (Sapphire Rapids on) every int8 convolution they
// accept gets them. They carry a fixed cost per call and per thread (tile
// configuration, copies into tile-shaped buffers) that only large layers
// amortise: on this project's CPU the AVX-512 VNNI brgemm convolution is
// 1.5-4x faster on MobileNetV2's layers (2-50 µs each), while the AMX one is
// 1.1-2.2x faster on ResNet50's (25+ million multiply-adds per thread).
// The newer brgemm AMX convolutions ("brgconv*:avx512_core_amx*") are fast
// at every size and are kept.
//
// PreferFastInt8Convolution walks the descriptor's implementation list past
// first-generation AMX convolutions when the work per thread is below
// kMinAmxMacsPerThread, or the reduction (input channels per group × kernel
// window) is shorter than one AMX tile row, and stays at the first choice
// when nothing else accepts the problem. CPUs without AMX never see those
// implementations, so nothing changes there.
#pragma once

#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace kiln::cpu {

// Multiply-adds per thread from which first-generation AMX int8
// convolutions beat VNNI (measured; between 11 and 15 million on this CPU).
inline constexpr double kMinAmxMacsPerThread = 12e6;
// An int8 AMX tile row holds 64 bytes: shorter reductions leave it part empty.
inline constexpr long kAmxInt8TileDepth = 64;

// True when `implementation` (impl_info_str) is a first-generation AMX
// convolution.
bool IsFirstGenerationAmxConvolution(const std::string& implementation);

// Moves `pd` to the first implementation that suits a convolution of `macs`
// multiply-adds with reduction length `reduction`, run on `threads`
// threads (see above). Returns the implementation chosen.
std::string PreferFastInt8Convolution(dnnl::convolution_forward::primitive_desc& pd, double macs, long reduction,
                                      int threads);

}  // namespace kiln::cpu
