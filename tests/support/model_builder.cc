#include "tests/support/model_builder.h"

#include <fstream>

namespace kiln::testing {
namespace {

void SetType(onnx::ValueInfoProto* vi, const std::string& name, DataType dt, const std::vector<int64_t>& dims) {
  vi->set_name(name);
  auto* tensor = vi->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(static_cast<int32_t>(dt));
  auto* shape = tensor->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = shape->add_dim();
    if (dims[i] >= 0) d->set_dim_value(dims[i]);
    else d->set_dim_param(std::string("d").append(std::to_string(i)));
  }
}

}  // namespace

ModelBuilder::ModelBuilder(int64_t opset) {
  model_.set_ir_version(8);
  model_.set_producer_name("kiln-tests");
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

ModelBuilder& ModelBuilder::Input(const std::string& name, DataType dt, const std::vector<int64_t>& dims) {
  SetType(model_.mutable_graph()->add_input(), name, dt, dims);
  return *this;
}

ModelBuilder& ModelBuilder::Output(const std::string& name, DataType dt, const std::vector<int64_t>& dims) {
  SetType(model_.mutable_graph()->add_output(), name, dt, dims);
  return *this;
}

ModelBuilder& ModelBuilder::Node(const std::string& op, const std::vector<std::string>& inputs,
                                 const std::vector<std::string>& outputs, const std::string& domain) {
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_domain(domain);
  n->set_name(op + "_" + std::to_string(model_.graph().node_size()));
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *this;
}

ModelBuilder& ModelBuilder::Initializer(const std::string& name, const std::vector<float>& values,
                                        const std::vector<int64_t>& dims) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return *this;
}

ModelBuilder& ModelBuilder::Opset(const std::string& domain, int64_t version) {
  auto* op = model_.add_opset_import();
  op->set_domain(domain);
  op->set_version(version);
  return *this;
}

std::string ModelBuilder::Serialize() const { return model_.SerializeAsString(); }

void ModelBuilder::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string bytes = Serialize();
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace kiln::testing
