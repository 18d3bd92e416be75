#include "engine/ir/graph.h"

#include <sstream>

namespace kiln::ir {

const char* AttributeTypeName(Attribute::Type type) {
  switch (type) {
    case Attribute::Type::kFloat: return "float";
    case Attribute::Type::kInt: return "int";
    case Attribute::Type::kString: return "string";
    case Attribute::Type::kTensor: return "tensor";
    case Attribute::Type::kGraph: return "graph";
    case Attribute::Type::kFloats: return "floats";
    case Attribute::Type::kInts: return "ints";
    case Attribute::Type::kStrings: return "strings";
    case Attribute::Type::kTensors: return "tensors";
    case Attribute::Type::kGraphs: return "graphs";
    case Attribute::Type::kSparseTensor: return "sparse_tensor";
    case Attribute::Type::kTypeProto: return "type_proto";
    case Attribute::Type::kTypeProtos: return "type_protos";
    case Attribute::Type::kUndefined: break;
  }
  return "undefined";
}

std::string TypeInfo::ToString() const {
  switch (kind) {
    case Kind::kTensor: {
      std::string s = "tensor(" + std::string(DataTypeName(elem_type)) + ")";
      if (shape) {
        s += "[";
        for (size_t i = 0; i < shape->size(); ++i) s += (i ? "," : "") + (*shape)[i].ToString();
        s += "]";
      }
      return s;
    }
    case Kind::kSequence: return "sequence(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kOptional: return "optional(" + (inner ? inner->ToString() : "?") + ")";
    case Kind::kMap: return "map";
    case Kind::kSparseTensor: return "sparse_tensor(" + std::string(DataTypeName(elem_type)) + ")";
    case Kind::kUnknown: break;
  }
  return "unknown";
}

const Attribute* Node::FindAttribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : &it->second;
}

int64_t Node::GetInt(const std::string& key, int64_t fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->i : fallback;
}

float Node::GetFloat(const std::string& key, float fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->f : fallback;
}

std::string Node::GetString(const std::string& key, const std::string& fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::GetInts(const std::string& key, std::vector<int64_t> fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->ints : fallback;
}

std::vector<float> Node::GetFloats(const std::string& key, std::vector<float> fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->floats : fallback;
}

std::vector<std::string> Node::GetStrings(const std::string& key, std::vector<std::string> fallback) const {
  const Attribute* a = FindAttribute(key);
  return a ? a->strings : fallback;
}

const Tensor* Node::GetTensor(const std::string& key) const {
  const Attribute* a = FindAttribute(key);
  return a && a->type == Attribute::Type::kTensor ? &a->t : nullptr;
}

const Graph* Node::GetGraph(const std::string& key) const {
  const Attribute* a = FindAttribute(key);
  return a && a->g ? a->g.get() : nullptr;
}

std::string Node::Describe() const {
  std::string s = domain.empty() ? op_type : domain + "::" + op_type;
  if (!name.empty()) s += " '" + name + "'";
  return s;
}

std::vector<const ValueInfo*> Graph::RuntimeInputs() const {
  std::vector<const ValueInfo*> out;
  for (const ValueInfo& vi : inputs) {
    if (!initializers.count(vi.name)) out.push_back(&vi);
  }
  return out;
}

const TypeInfo* Graph::FindType(const std::string& value_name) const {
  for (const ValueInfo& vi : inputs) if (vi.name == value_name) return &vi.type;
  for (const ValueInfo& vi : outputs) if (vi.name == value_name) return &vi.type;
  auto it = value_types.find(value_name);
  return it == value_types.end() ? nullptr : &it->second;
}

std::string NormalizeDomain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

int64_t Model::OpsetOf(const std::string& domain) const {
  auto it = opset_imports.find(NormalizeDomain(domain));
  return it == opset_imports.end() ? 0 : it->second;
}

}  // namespace kiln::ir
