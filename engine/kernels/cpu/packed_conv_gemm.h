// A convolution over channels-last activations is a matrix product: rows
// are the output positions (batch x spatial), K the kernel's taps times the
// input channels (K index = (ky, kx, channel)), N the output channels. The
// caller passes, per tap and output position, where the input position's
// channels start, so nothing is copied (no im2col). This runs that
// product on the weights oneDNN packed for its own convolution (output
// channels in blocks of 32, 48 or 64, each block K rows of `block` floats),
// with the bias, the residual sum and ReLU applied as each tile of the
// output is stored.
//
// Why: on small images (resnet50's 7x7 stage at batch 1: 49 positions, 4-9
// MiB of weights per layer) a layer is a stream of weights from memory with
// little arithmetic per byte, and oneDNN's kernel stalls on each block of
// weights as it arrives. Here, while a block's tiles compute, they prefetch
// the next block's weights into L2, spread evenly over the block's K steps
// so the requests stay within what memory delivers; and the threads split
// the output channels, so each reads only its own blocks. resnet50's
// 512->2048 + residual layers: 0.74 instead of 0.95 ms at 1 thread.
// AVX-512 only; DnnlConv uses it where PackedConvLayoutOf accepts oneDNN's
// weight layout.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// Where the output channels' blocks lie in a packed weights buffer.
struct PackedConvLayout {
  int64_t block = 0;         // output channels per block: 32, 48 or 64
  int64_t block_stride = 0;  // floats from one block to the next
};

// The layout of `weights` (oneDNN's packed [O, I, kh, kw] desc) when this
// kernel reads it on this CPU: one inner block of 32, 48 or 64 over output
// channels, within it the taps in row-major order and the input channels
// dense (K index = (ky, kx, channel)), no padding of input channels.
// nullopt otherwise.
std::optional<PackedConvLayout> PackedConvLayoutOf(const dnnl::memory::desc& weights);

// y[m][n] = relu?(sum_t sum_c x[offsets[t][m] + c] * W[n][t][c] + bias[n] +
// residual[m][n]) for m < row_count, n < n_out: `offsets` holds taps x
// row_count offsets into x (tap-major), each the start of `channels`
// floats, or -1 for a tap in the padding (zeros). y and residual are
// [row_count][n_out] (residual may be null, or equal to y); bias may be
// null. Taps are summed one after another through a scratch of partial
// sums. The output channel blocks are split over `pool` (may be null).
void PackedConvGemm(const float* x, const int64_t* offsets, int64_t taps, int64_t row_count, int64_t channels,
                    const float* weights, const PackedConvLayout& layout, int64_t n_out, const float* bias,
                    const float* residual, bool relu, float* y, ThreadPool* pool);

}  // namespace kiln::cpu
