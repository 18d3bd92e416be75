#include "server/repository/config_validator.h"

#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

#include "server/repository/auto_complete.h"
#include "server/repository/config_data_type.h"

namespace kiln::server {
namespace {

std::string VecToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string NameList(const std::vector<SignatureTensor>& tensors) {
  std::string s;
  for (const auto& t : tensors) s += (s.empty() ? "" : ", ") + t.name;
  return s.empty() ? "(none)" : s;
}

Status CheckDimValues(const std::string& label, const char* field,
                      const google::protobuf::RepeatedField<int64_t>& dims) {
  for (int64_t d : dims) {
    if (d < -1) {
      return Status::InvalidArgument(label + ": " + field + " " + DimsToString(dims) +
                                     " has a dimension below -1 (-1 marks a variable dimension)");
    }
  }
  return Status::Ok();
}

// dims and reshape.shape must describe the same number of elements; with
// variable dimensions, the same fixed product and the same count of -1.
Status CheckReshape(const std::string& label, const google::protobuf::RepeatedField<int64_t>& dims,
                    const inference::ModelTensorReshape& reshape) {
  KILN_RETURN_IF_ERROR(CheckDimValues(label, "reshape.shape", reshape.shape()));
  auto summarize = [](const google::protobuf::RepeatedField<int64_t>& v) {
    int64_t product = 1, variable = 0;
    for (int64_t d : v) (d < 0 ? ++variable : product *= d);
    return std::pair(product, variable);
  };
  if (summarize(dims) != summarize(reshape.shape())) {
    return Status::InvalidArgument(label + ": reshape.shape " + DimsToString(reshape.shape()) +
                                   " does not hold the same number of elements as dims " + DimsToString(dims));
  }
  return Status::Ok();
}

// Common checks of a ModelInput / ModelOutput against the model's tensor.
template <typename ConfigTensor>
Status CheckTensor(const std::string& label, const ConfigTensor& tensor, const SignatureTensor& model,
                   int max_batch_size) {
  if (model.dtype == DataType::kUndefined) {
    return Status::Unimplemented(label + ": the model's tensor is not a plain tensor (sequence or map), "
                                 "which the server cannot carry");
  }
  if (!inference::DataType_IsValid(tensor.data_type()) || tensor.data_type() == inference::TYPE_INVALID) {
    return Status::InvalidArgument(label + ": data_type " + ConfigDataTypeName(tensor.data_type()) +
                                   " is not a valid data type");
  }
  const inference::DataType expected = ConfigDataType(model.dtype);
  if (tensor.data_type() != expected) {
    return Status::InvalidArgument(label + ": data_type " + ConfigDataTypeName(tensor.data_type()) +
                                   " does not match the model's " + ConfigDataTypeName(expected));
  }
  if (tensor.dims_size() == 0 && !tensor.has_reshape()) {
    return Status::InvalidArgument(label + ": dims must list at least one dimension");
  }
  KILN_RETURN_IF_ERROR(CheckDimValues(label, "dims", tensor.dims()));
  if (tensor.has_reshape()) KILN_RETURN_IF_ERROR(CheckReshape(label, tensor.dims(), tensor.reshape()));
  if (!model.dims) return Status::Ok();  // the model does not say; the engine checks at run time

  const auto& model_side = tensor.has_reshape() ? tensor.reshape().shape() : tensor.dims();
  const char* side_name = tensor.has_reshape() ? "reshape.shape" : "dims";
  std::vector<int64_t> model_dims = *model.dims;
  if (max_batch_size > 0) {
    if (model_dims.empty() || model_dims.front() >= 0) {
      return Status::InvalidArgument(
          label + ": max_batch_size " + std::to_string(max_batch_size) +
          " needs a variable first (batch) dimension, but the model's shape is " + VecToString(model_dims) +
          " (set max_batch_size: 0 to serve it without batching)");
    }
    model_dims.erase(model_dims.begin());
  }
  auto mismatch = [&] {
    return Status::InvalidArgument(label + ": " + side_name + " " + DimsToString(model_side) +
                                   " do not match the model's shape " + VecToString(model_dims) +
                                   (max_batch_size > 0 ? " (without the batch dimension)" : ""));
  };
  if (model_side.size() != static_cast<int>(model_dims.size())) return mismatch();
  for (size_t i = 0; i < model_dims.size(); ++i) {
    if (model_dims[i] >= 0 && model_side[static_cast<int>(i)] != model_dims[i]) return mismatch();
  }
  return Status::Ok();
}

}  // namespace

std::string DimsToString(const google::protobuf::RepeatedField<int64_t>& dims) {
  return VecToString(std::vector<int64_t>(dims.begin(), dims.end()));
}

Status CheckRelativeFileName(const std::string& field, const std::string& name) {
  const std::filesystem::path path(name);
  if (name.empty() || path.is_absolute()) {
    return Status::InvalidArgument(field + " '" + name + "' must be a file name relative to the model folder");
  }
  for (const auto& part : path) {
    if (part == "..") return Status::InvalidArgument(field + " '" + name + "' must not leave the model folder");
  }
  return Status::Ok();
}

Status ValidateModelConfig(const std::string& model_name, const std::string& model_dir, const ModelSignature& model,
                           const inference::ModelConfig& config) {
  if (config.name() != model_name) {
    return Status::InvalidArgument("name: the configuration names the model '" + config.name() +
                                   "' but its folder is '" + model_name + "'");
  }
  if (config.platform() != kOnnxPlatform) {
    return Status::Unimplemented("platform: '" + config.platform() + "' is not supported; Kiln serves ONNX models "
                                 "(platform \"onnxruntime_onnx\", backend \"onnxruntime\")");
  }
  if (!config.backend().empty() && config.backend() != kOnnxBackend) {
    return Status::Unimplemented("backend: '" + config.backend() + "' is not supported; Kiln serves ONNX models "
                                 "(backend \"onnxruntime\")");
  }
  if (config.max_batch_size() < 0) {
    return Status::InvalidArgument("max_batch_size: " + std::to_string(config.max_batch_size()) + " is negative");
  }
  if (config.has_sequence_batching()) {
    return Status::Unimplemented("sequence_batching: sequence batching is not supported");
  }
  if (config.has_ensemble_scheduling()) {
    return Status::Unimplemented("ensemble_scheduling: ensembles are not supported");
  }
  for (const auto& group : config.instance_group()) {
    const std::string label = "instance_group '" + group.name() + "'";
    if (group.kind() == inference::ModelInstanceGroup::KIND_GPU || group.gpus_size() > 0) {
      return Status::Unimplemented(label + ": GPU instances are not supported; Kiln runs on CPU (use KIND_CPU)");
    }
    if (group.count() < 0) {
      return Status::InvalidArgument(label + ": count " + std::to_string(group.count()) + " is negative");
    }
  }

  std::set<std::string> seen;
  for (const auto& input : config.input()) {
    const std::string label = "input '" + input.name() + "'";
    if (!seen.insert(input.name()).second) return Status::InvalidArgument(label + ": listed twice");
    const SignatureTensor* t = model.FindInput(input.name());
    if (!t) {
      return Status::InvalidArgument(label + ": the model has no such input (model inputs: " +
                                     NameList(model.inputs) + ")");
    }
    KILN_RETURN_IF_ERROR(CheckTensor(label, input, *t, config.max_batch_size()));
    if (input.optional() && !t->has_default) {
      return Status::InvalidArgument(label + ": marked optional, but the model has no default value for it");
    }
  }
  for (const auto& t : model.inputs) {
    if (!t.has_default && !seen.count(t.name)) {
      return Status::InvalidArgument("input: the model's input '" + t.name + "' is missing from the configuration");
    }
  }

  seen.clear();
  for (const auto& output : config.output()) {
    const std::string label = "output '" + output.name() + "'";
    if (!seen.insert(output.name()).second) return Status::InvalidArgument(label + ": listed twice");
    const SignatureTensor* t = model.FindOutput(output.name());
    if (!t) {
      return Status::InvalidArgument(label + ": the model has no such output (model outputs: " +
                                     NameList(model.outputs) + ")");
    }
    KILN_RETURN_IF_ERROR(CheckTensor(label, output, *t, config.max_batch_size()));
    if (!output.label_filename().empty()) {
      KILN_RETURN_IF_ERROR(CheckRelativeFileName(label + ": label_filename", output.label_filename()));
      std::error_code ec;
      if (!std::filesystem::is_regular_file(std::filesystem::path(model_dir) / output.label_filename(), ec)) {
        return Status::InvalidArgument(label + ": label_filename '" + output.label_filename() +
                                       "' does not exist in the model folder");
      }
    }
  }
  if (config.output_size() == 0) return Status::InvalidArgument("output: the configuration lists no outputs");

  if (config.has_dynamic_batching()) {
    for (int32_t size : config.dynamic_batching().preferred_batch_size()) {
      if (size <= 0 || (config.max_batch_size() > 0 && size > config.max_batch_size())) {
        return Status::InvalidArgument("dynamic_batching.preferred_batch_size: " + std::to_string(size) +
                                       " is not between 1 and max_batch_size " +
                                       std::to_string(config.max_batch_size()));
      }
    }
  }

  for (const auto& sample : config.model_warmup()) {
    const std::string label = "model_warmup '" + sample.name() + "'";
    const uint32_t limit = config.max_batch_size() > 0 ? static_cast<uint32_t>(config.max_batch_size()) : 1;
    if (sample.batch_size() < 1 || sample.batch_size() > limit) {
      return Status::InvalidArgument(label + ": batch_size " + std::to_string(sample.batch_size()) +
                                     " must be between 1 and " + std::to_string(limit));
    }
    for (const auto& [name, input] : sample.inputs()) {
      bool known = false;
      for (const auto& in : config.input()) known = known || in.name() == name;
      if (!known) return Status::InvalidArgument(label + ": input '" + name + "' is not a configured input");
      if (input.input_data_type_case() == inference::ModelWarmup::Input::kInputDataFile) {
        KILN_RETURN_IF_ERROR(CheckRelativeFileName(label + ": input_data_file", input.input_data_file()));
      }
    }
  }
  return Status::Ok();
}

}  // namespace kiln::server
