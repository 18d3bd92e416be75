// Constant: emits the tensor given by one of its attributes (value,
// value_float(s), value_int(s), value_string(s)); decoded once at load.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

class ConstantKernel final : public OpKernel {
 public:
  explicit ConstantKernel(Tensor value) : value_(std::move(value)) {}
  Status Compute(KernelContext& ctx) const override {
    ctx.SetOutput(0, Value(value_));
    return Status::Ok();
  }

 private:
  Tensor value_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeConstant(const KernelInit& init) {
  const ir::Node& n = init.node;
  Tensor value;
  if (const Tensor* t = n.GetTensor("value")) {
    value = *t;
  } else if (const ir::Attribute* a = n.FindAttribute("value_float")) {
    value = Tensor::Scalar<float>(a->f);
  } else if (const ir::Attribute* a = n.FindAttribute("value_floats")) {
    value = Tensor::FromVector<float>({static_cast<int64_t>(a->floats.size())}, a->floats);
  } else if (const ir::Attribute* a = n.FindAttribute("value_int")) {
    value = Tensor::Scalar<int64_t>(a->i);
  } else if (const ir::Attribute* a = n.FindAttribute("value_ints")) {
    value = Tensor::FromVector<int64_t>({static_cast<int64_t>(a->ints.size())}, a->ints);
  } else if (const ir::Attribute* a = n.FindAttribute("value_string")) {
    value = Tensor::Scalar<std::string>(a->s);
  } else if (const ir::Attribute* a = n.FindAttribute("value_strings")) {
    value = Tensor::FromVector<std::string>({static_cast<int64_t>(a->strings.size())}, a->strings);
  } else if (n.HasAttribute("sparse_value")) {
    return Status::Unimplemented("Constant with a sparse_value is not supported");
  } else {
    return Status::InvalidArgument("Constant has no value attribute");
  }
  return std::unique_ptr<OpKernel>(new ConstantKernel(std::move(value)));
}

}  // namespace kiln::cpu
