#include "engine/kernels/cpu/strided_copy.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

namespace kiln::cpu {
namespace {

struct Bytes16 {
  uint64_t lo, hi;
};

// Transposes a rows x cols block: dst[r * dst_row + c] = src[r + c * src_col]
// (contiguous writes along c, contiguous reads along r), in cache-sized tiles.
template <typename T>
void CopyTransposedBlock(int64_t rows, int64_t cols, const T* src, int64_t src_col, T* dst, int64_t dst_row) {
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(cols, c0 + kTile);
      for (int64_t r = r0; r < r1; ++r) {
        const T* s = src + r;
        T* d = dst + r * dst_row;
        for (int64_t c = c0; c < c1; ++c) d[c] = s[c * src_col];
      }
    }
  }
}

template <typename T>
void CopyLoop(const Shape& shape, const T* src, const std::vector<int64_t>& ss, T* dst,
              const std::vector<int64_t>& ds) {
  const size_t rank = shape.size();
  if (rank == 0) {
    *dst = *src;
    return;
  }
  // With rank >= 2 and the source contiguous along dimension rank-2 but not
  // along the last one, copy the two inner dimensions as tiles.
  const bool tiled = rank >= 2 && ss[rank - 1] != 1 && ss[rank - 2] == 1 && ds[rank - 1] == 1;
  const size_t loop_dims = tiled ? rank - 2 : rank - 1;
  const int64_t n = shape[rank - 1];
  const int64_t s_in = ss[rank - 1], d_in = ds[rank - 1];
  int64_t outer = 1;
  for (size_t d = 0; d < loop_dims; ++d) outer *= shape[d];
  std::vector<int64_t> index(loop_dims, 0);
  int64_t so = 0, doff = 0;
  for (int64_t o = 0; o < outer; ++o) {
    const T* s = src + so;
    T* d = dst + doff;
    if (tiled) {
      CopyTransposedBlock(shape[rank - 2], n, s, s_in, d, ds[rank - 2]);
    } else if (s_in == 1 && d_in == 1) {
      if constexpr (std::is_trivially_copyable_v<T>) {
        std::memcpy(d, s, static_cast<size_t>(n) * sizeof(T));
      } else {
        for (int64_t k = 0; k < n; ++k) d[k] = s[k];
      }
    } else if (s_in == 0) {
      const T v = *s;
      for (int64_t k = 0; k < n; ++k) d[k * d_in] = v;
    } else {
      for (int64_t k = 0; k < n; ++k) d[k * d_in] = s[k * s_in];
    }
    for (size_t dim = loop_dims; dim-- > 0;) {
      ++index[dim];
      so += ss[dim];
      doff += ds[dim];
      if (index[dim] < shape[dim]) break;
      so -= ss[dim] * shape[dim];
      doff -= ds[dim] * shape[dim];
      index[dim] = 0;
    }
  }
}

size_t ElementBytes(DataType dtype) {
  return dtype == DataType::kString ? sizeof(std::string) : DataTypeSize(dtype);
}

}  // namespace

std::vector<int64_t> ContiguousStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

void CopyStrided(DataType dtype, const Shape& shape, const void* src, std::vector<int64_t> src_strides, void* dst,
                 std::vector<int64_t> dst_strides) {
  // Drop unit dimensions and merge neighbours that are contiguous in both layouts.
  Shape dims;
  std::vector<int64_t> ss, ds;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (!dims.empty() && ss.back() == src_strides[d] * shape[d] && ds.back() == dst_strides[d] * shape[d]) {
      dims.back() *= shape[d];
      ss.back() = src_strides[d];
      ds.back() = dst_strides[d];
      continue;
    }
    dims.push_back(shape[d]);
    ss.push_back(src_strides[d]);
    ds.push_back(dst_strides[d]);
  }
  // Put the dimension that is contiguous in the source just before the last
  // one, so that transposes are copied in tiles (the order of a copy is free).
  const size_t rank = dims.size();
  if (rank >= 3 && ss[rank - 1] != 1 && ds[rank - 1] == 1) {
    for (size_t d = 0; d + 2 < rank; ++d) {
      if (ss[d] == 1) {
        std::swap(dims[d], dims[rank - 2]);
        std::swap(ss[d], ss[rank - 2]);
        std::swap(ds[d], ds[rank - 2]);
        break;
      }
    }
  }
  auto run = [&](auto* typed_src, auto* typed_dst) { CopyLoop(dims, typed_src, ss, typed_dst, ds); };
  if (dtype == DataType::kString) {
    run(static_cast<const std::string*>(src), static_cast<std::string*>(dst));
    return;
  }
  switch (DataTypeSize(dtype)) {
    case 1: run(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst)); break;
    case 2: run(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst)); break;
    case 4: run(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst)); break;
    case 8: run(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst)); break;
    case 16: run(static_cast<const Bytes16*>(src), static_cast<Bytes16*>(dst)); break;
    default: break;
  }
}

const void* ElementAt(const Tensor& t, int64_t index) {
  return static_cast<const char*>(t.raw_data()) + index * static_cast<int64_t>(ElementBytes(t.dtype()));
}

void* ElementAt(Tensor& t, int64_t index) {
  return static_cast<char*>(t.raw_data()) + index * static_cast<int64_t>(ElementBytes(t.dtype()));
}

void GatherStrided(const Tensor& src, int64_t src_offset, const std::vector<int64_t>& src_strides, Tensor& out) {
  if (out.num_elements() == 0) return;
  CopyStrided(src.dtype(), out.shape(), ElementAt(src, src_offset), src_strides, out.raw_data(), ContiguousStrides(out.shape()));
}

Tensor TransposeTensor(const Tensor& in, const std::vector<int64_t>& perm) {
  const std::vector<int64_t> in_strides = ContiguousStrides(in.shape());
  Shape out_shape(perm.size());
  std::vector<int64_t> src_strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    out_shape[i] = in.shape()[static_cast<size_t>(perm[i])];
    src_strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  Tensor out = Tensor::Allocate(in.dtype(), std::move(out_shape));
  GatherStrided(in, 0, src_strides, out);
  return out;
}

}  // namespace kiln::cpu
