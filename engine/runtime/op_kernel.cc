#include "engine/runtime/op_kernel.h"

namespace kiln {

DataType KernelInit::InputType(size_t i) const {
  if (i >= node.inputs.size() || node.inputs[i].empty()) return DataType::kUndefined;
  auto it = graph.initializers.find(node.inputs[i]);
  if (it != graph.initializers.end()) return it->second.dtype();
  const ir::TypeInfo* t = graph.FindType(node.inputs[i]);
  return t && t->kind == ir::TypeInfo::Kind::kTensor ? t->elem_type : DataType::kUndefined;
}

DataType KernelInit::OutputType(size_t i) const {
  if (i >= node.outputs.size() || node.outputs[i].empty()) return DataType::kUndefined;
  const ir::TypeInfo* t = graph.FindType(node.outputs[i]);
  return t && t->kind == ir::TypeInfo::Kind::kTensor ? t->elem_type : DataType::kUndefined;
}

const Tensor* KernelInit::ConstantInput(size_t i) const {
  if (i >= node.inputs.size() || node.inputs[i].empty()) return nullptr;
  // A graph input with a default initializer can be overridden at run time.
  for (const auto& in : graph.inputs)
    if (in.name == node.inputs[i]) return nullptr;
  auto it = graph.initializers.find(node.inputs[i]);
  return it == graph.initializers.end() ? nullptr : &it->second;
}

}  // namespace kiln
