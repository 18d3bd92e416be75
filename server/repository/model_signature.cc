#include "server/repository/model_signature.h"

#include "engine/runtime/session.h"

namespace kiln::server {
namespace {

SignatureTensor Describe(const ir::ValueInfo& info, bool has_default) {
  SignatureTensor t;
  t.name = info.name;
  t.has_default = has_default;
  if (info.type.kind == ir::TypeInfo::Kind::kTensor) {
    t.dtype = info.type.elem_type;
    if (info.type.shape) {
      std::vector<int64_t> dims;
      for (const auto& d : *info.type.shape) dims.push_back(d.is_fixed() ? d.value : -1);
      t.dims = std::move(dims);
    }
  }
  return t;
}

const SignatureTensor* FindIn(const std::vector<SignatureTensor>& list, const std::string& name) {
  for (const auto& t : list) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace

const SignatureTensor* ModelSignature::FindInput(const std::string& name) const { return FindIn(inputs, name); }
const SignatureTensor* ModelSignature::FindOutput(const std::string& name) const { return FindIn(outputs, name); }

ModelSignature SignatureOf(const Session& session) {
  ModelSignature signature;
  const auto& initializers = session.model().graph.initializers;
  for (const ir::ValueInfo* input : session.inputs()) {
    signature.inputs.push_back(Describe(*input, initializers.count(input->name) > 0));
  }
  for (const auto& output : session.outputs()) signature.outputs.push_back(Describe(output, false));
  return signature;
}

}  // namespace kiln::server
