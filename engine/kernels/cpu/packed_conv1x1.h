// A 1x1, stride-1 convolution over channels-last activations is a matrix
// product: rows are the (batch x spatial) positions, K the input channels,
// N the output channels. This runs that product on the weights oneDNN
// packed for its own 1x1 convolution (output channels in blocks of 48 or 64,
// each block K rows of `block` floats), with the bias, the residual sum and
// ReLU applied as each tile of the output is stored.
//
// Why: on small images (resnet50's 7x7 stage at batch 1: 49 positions, 4
// MiB of weights per layer) the layer is a stream of weights from memory
// with little arithmetic per byte. oneDNN's kernel stalls on each block of
// weights as it arrives. Here, while a block's tiles compute, they prefetch
// the next block's weights into L2, spread evenly over the block's K steps
// so the requests stay within what memory delivers; and the threads split
// the output channels, so each reads only its own blocks. resnet50's
// 512->2048 + residual layers: 0.74 instead of 0.95 ms at 1 thread.
// AVX-512 only; DnnlConv uses it where PackedConv1x1LayoutOf accepts
// oneDNN's weight layout.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>

#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

// Where the output channels' blocks lie in a packed weights buffer.
struct PackedConv1x1Layout {
  int64_t block = 0;         // output channels per block: 48 or 64
  int64_t block_stride = 0;  // floats from one block to the next
};

// The layout of `weights` (oneDNN's packed [O, I, 1, 1] desc) when this
// kernel reads it (one inner block of 48 or 64 over output channels, input
// channels dense within it) on this CPU; nullopt otherwise.
std::optional<PackedConv1x1Layout> PackedConv1x1LayoutOf(const dnnl::memory::desc& weights);

// y[m][n] = relu?(sum_k x[m][k] * W[n][k] + bias[n] + residual[m][n]) for
// m < rows, n < n_out. x is [rows][k], y and residual [rows][n_out]
// (residual may be null, or equal to y); bias may be null. The output
// channel blocks are split over `pool` (may be null).
void PackedConv1x1(const float* x, int64_t rows, int64_t k, const float* weights, const PackedConv1x1Layout& layout,
                   int64_t n_out, const float* bias, const float* residual, bool relu, float* y, ThreadPool* pool);

}  // namespace kiln::cpu
