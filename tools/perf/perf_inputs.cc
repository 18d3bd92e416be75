#include "tools/perf/perf_inputs.h"

#include <random>

#include "engine/core/half.h"
#include "engine/io/value_files.h"
#include "server/core/datatype.h"

namespace kiln::perf {
namespace {

using server::ClientTensor;
using server::TensorMetadata;

Result<Shape> ShapeFor(const TensorMetadata& input, const PerfInputOptions& options) {
  auto given = options.shapes.find(input.name);
  if (given != options.shapes.end()) {
    if (given->second.size() != input.shape.size()) {
      return Status::InvalidArgument("--shape for '" + input.name + "' has " + std::to_string(given->second.size()) +
                                     " dimensions; the model's input has " + std::to_string(input.shape.size()));
    }
    for (size_t i = 0; i < given->second.size(); ++i) {
      const int64_t d = given->second[i];
      if (d < 0 || (input.shape[i] >= 0 && d != input.shape[i])) {
        return Status::InvalidArgument("--shape for '" + input.name + "' gives dimension " + std::to_string(i) +
                                       " as " + std::to_string(d) + "; the model has " +
                                       std::to_string(input.shape[i]));
      }
    }
    return given->second;
  }
  Shape shape = input.shape;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) shape[i] = i == 0 ? options.batch_size : 1;
  }
  return shape;
}

Result<Tensor> Generate(const TensorMetadata& input, const Shape& shape, std::mt19937& rng) {
  const std::optional<DataType> dtype = server::DataTypeFromV2Name(input.datatype);
  if (!dtype) {
    return Status::Unimplemented("input '" + input.name + "' has datatype '" + input.datatype +
                                 "'; give it with --input");
  }
  Tensor t = Tensor::Allocate(*dtype, shape, /*zeroed=*/true);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const int64_t n = t.num_elements();
  switch (*dtype) {
    case DataType::kFloat:
      for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = uniform(rng);
      break;
    case DataType::kDouble:
      for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = uniform(rng);
      break;
    case DataType::kFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<Float16>()[i] = Float16(uniform(rng));
      break;
    case DataType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<BFloat16>()[i] = BFloat16(uniform(rng));
      break;
    case DataType::kString:
      for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = "a";
      break;
    default:
      break;  // integers and bools stay zero: valid as indices and token ids
  }
  return t;
}

// Repeats one batch item `batch` times along a new first dimension.
ClientTensor Tile(ClientTensor item, int64_t batch) {
  ClientTensor out = item;
  out.shape.insert(out.shape.begin(), batch);
  out.data.clear();
  out.data.reserve(item.data.size() * static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) out.data.append(item.data);
  return out;
}

}  // namespace

Result<std::vector<ClientTensor>> MakePerfInputs(const server::ModelMetadata& metadata,
                                                 const PerfInputOptions& options) {
  if (options.batch_size < 1) return Status::InvalidArgument("--batch-size must be at least 1");
  for (const auto& [name, path] : options.files) {
    bool known = false;
    for (const TensorMetadata& input : metadata.inputs) known |= input.name == name;
    if (!known) return Status::InvalidArgument("--input names '" + name + "', which model '" + metadata.name + "' does not have");
  }
  std::mt19937 rng(options.seed);
  std::vector<ClientTensor> tensors;
  for (const TensorMetadata& input : metadata.inputs) {
    auto file = options.files.find(input.name);
    if (file != options.files.end()) {
      KILN_ASSIGN_OR_RETURN(Value value, io::ReadValueFromPath(file->second));
      if (!value.is_tensor()) return Status::InvalidArgument("'" + file->second + "' does not hold a tensor");
      KILN_ASSIGN_OR_RETURN(ClientTensor tensor, server::ToClientTensor(input.name, value.tensor()));
      if (!input.shape.empty() && input.shape[0] == -1 && tensor.shape.size() + 1 == input.shape.size()) {
        tensor = Tile(std::move(tensor), options.batch_size);
      }
      if (tensor.datatype != input.datatype) {
        return Status::InvalidArgument("'" + file->second + "' holds " + tensor.datatype + "; input '" + input.name +
                                       "' is " + input.datatype);
      }
      tensors.push_back(std::move(tensor));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(Shape shape, ShapeFor(input, options));
    KILN_ASSIGN_OR_RETURN(Tensor generated, Generate(input, shape, rng));
    KILN_ASSIGN_OR_RETURN(ClientTensor tensor, server::ToClientTensor(input.name, generated));
    tensor.datatype = input.datatype;
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

}  // namespace kiln::perf
