// Shared by the normalization kernels (BatchNormalization, LayerNormalization):
// writing computed statistics to their float-typed outputs.
#pragma once

#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

// t[i] = v[i] for a float, double, float16 or bfloat16 tensor `t` of v.size() elements.
inline Status StoreStatistics(Tensor& t, const std::vector<double>& v) {
  return DispatchType<FloatTypes>(t.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* p = t.data<U>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<U>(static_cast<ComputeType<U>>(v[i]));
  });
}

}  // namespace kiln::cpu
