// Shared parts of binary elementwise operators: the opset < 7 `broadcast` /
// `axis` attributes, and a generic kernel computing C = f(A, B) with
// broadcasting, where f receives ComputeType<T> operands.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "engine/kernels/cpu/broadcast.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

// How a binary node broadcasts: multidirectionally (opset >= 7), or with
// the legacy attributes (opset < 7: B onto A only, when broadcast=1).
class BinaryBroadcastMode {
 public:
  explicit BinaryBroadcastMode(const KernelInit& init)
      : legacy_(init.opset < 7),
        broadcast_(init.node.GetInt("broadcast", 0) != 0),
        has_axis_(init.node.HasAttribute("axis")),
        axis_(init.node.GetInt("axis", 0)) {}

  // Reshapes `b` as legacy broadcasting requires and returns the output shape.
  Result<Shape> OutputShape(const Tensor& a, Tensor& b) const {
    if (legacy_) {
      if (broadcast_) {
        KILN_ASSIGN_OR_RETURN(Shape bs, LegacyBroadcastShape(a.shape(), b.shape(), axis_, has_axis_));
        b = b.Reshape(bs);
      } else if (a.shape() != b.shape() && b.num_elements() != 1) {
        return Status::InvalidArgument("shapes " + ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()) +
                                       " differ and broadcast is not enabled");
      }
    }
    return BroadcastShapes({a.shape(), b.shape()});
  }

 private:
  bool legacy_;
  bool broadcast_;
  bool has_axis_;
  int64_t axis_;
};

// Requires inputs 0 and 1 to be tensors of one element type.
inline Status RequireSameTypeInputs(const KernelContext& ctx) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
  const DataType a = ctx.input(0).dtype(), b = ctx.input(1).dtype();
  if (a != b) {
    return Status::InvalidArgument("inputs have different data types: " + std::string(DataTypeName(a)) + " and " +
                                   std::string(DataTypeName(b)));
  }
  return Status::Ok();
}

// C = f(A, B) elementwise with broadcasting for A, B of one type in `Types`.
// C is bool when kBoolResult (comparisons, logic), else A's type.
template <typename Types, bool kBoolResult, typename F>
class BinaryKernel final : public OpKernel {
 public:
  BinaryKernel(const KernelInit& init, F f) : mode_(init), f_(std::move(f)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(RequireSameTypeInputs(ctx));
    const Tensor a = ctx.input(0);
    Tensor b = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(Shape out_shape, mode_.OutputShape(a, b));
    Tensor& out = ctx.AllocateOutput(0, kBoolResult ? DataType::kBool : a.dtype(), out_shape);
    return DispatchType<Types>(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      using TO = std::conditional_t<kBoolResult, bool, T>;
      BinaryBroadcastLoop<T, T, TO>(a, b, out, [this](const T& x, const T& y) {
        if constexpr (std::is_same_v<T, C>) {
          return static_cast<TO>(f_(x, y));
        } else {
          return static_cast<TO>(f_(static_cast<C>(x), static_cast<C>(y)));
        }
      });
    });
  }

 private:
  BinaryBroadcastMode mode_;
  F f_;
};

template <typename Types, bool kBoolResult, typename F>
Result<std::unique_ptr<OpKernel>> MakeBinaryKernel(const KernelInit& init, F f) {
  return std::unique_ptr<OpKernel>(new BinaryKernel<Types, kBoolResult, F>(init, std::move(f)));
}

}  // namespace kiln::cpu
