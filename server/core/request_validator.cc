#include "server/core/request_validator.h"

#include <set>

#include "server/core/classification.h"
#include "server/core/datatype.h"
#include "server/core/tensor_reshape.h"
#include "server/repository/config_data_type.h"

namespace kiln::server {
namespace {

std::string V2Name(DataType dtype) {
  std::string_view name = V2DataTypeName(dtype);
  return name.empty() ? std::string(DataTypeName(dtype)) : std::string(name);
}

// The shape a client must send: [-1, dims...] when batching.
std::string ExpectedShape(const ConfigDims& dims, bool batched) {
  std::string s = batched ? "[-1" : "[";
  for (int i = 0; i < dims.size(); ++i) s += (i || batched ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

template <typename ConfigTensor>
std::string NameList(const google::protobuf::RepeatedPtrField<ConfigTensor>& tensors) {
  std::string s;
  for (const auto& t : tensors) s += (s.empty() ? "" : ", ") + t.name();
  return s;
}

}  // namespace

Result<PreparedRequest> PrepareRequest(const inference::ModelConfig& config, const InferRequest& request) {
  const std::string& model = request.model_name;
  const bool batched = config.max_batch_size() > 0;
  PreparedRequest prepared;
  std::string batch_source;
  // By configured input index (names are unique in a valid configuration):
  // no set of name copies per request.
  std::vector<bool> given(static_cast<size_t>(config.input_size()), false);
  for (const auto& input : request.inputs) {
    const inference::ModelInput* spec = nullptr;
    int index = 0;
    for (int i = 0; i < config.input_size(); ++i) {
      if (config.input(i).name() == input.name) {
        spec = &config.input(i);
        index = i;
      }
    }
    if (!spec) {
      return Status::InvalidArgument("unexpected inference input '" + input.name + "' for model '" + model +
                                     "' (its inputs: " + NameList(config.input()) + ")");
    }
    if (given[static_cast<size_t>(index)]) {
      return Status::InvalidArgument("inference input '" + input.name + "' is given more than once");
    }
    given[static_cast<size_t>(index)] = true;
    const Tensor& tensor = input.tensor;
    const auto expected_type = EngineDataType(spec->data_type());
    if (!tensor.defined() || !expected_type || tensor.dtype() != *expected_type) {
      return Status::InvalidArgument("inference input '" + input.name + "' data-type is '" +
                                     (tensor.defined() ? V2Name(tensor.dtype()) : std::string("undefined")) +
                                     "', but model '" + model + "' expects '" +
                                     (expected_type ? V2Name(*expected_type) : std::string("?")) + "'");
    }
    const Shape& shape = tensor.shape();
    const size_t batch_dims = batched ? 1 : 0;
    bool shape_ok = shape.size() == static_cast<size_t>(spec->dims_size()) + batch_dims;
    for (int i = 0; shape_ok && i < spec->dims_size(); ++i) {
      const int64_t want = spec->dims(i);
      shape_ok = want < 0 || shape[batch_dims + static_cast<size_t>(i)] == want;
    }
    if (!shape_ok) {
      return Status::InvalidArgument("unexpected shape for input '" + input.name + "' for model '" + model +
                                     "'. Expected " + ExpectedShape(spec->dims(), batched) + ", got " +
                                     ShapeToString(shape));
    }
    if (batched) {
      const int64_t batch = shape[0];
      if (batch < 1 || batch > config.max_batch_size()) {
        return Status::InvalidArgument("inference input '" + input.name + "' has batch size " +
                                       std::to_string(batch) + ", but model '" + model + "' accepts 1 to " +
                                       std::to_string(config.max_batch_size()));
      }
      if (prepared.batch_size == 0) {
        prepared.batch_size = batch;
        batch_source = input.name;
      } else if (batch != prepared.batch_size) {
        return Status::InvalidArgument("inference inputs have different batch sizes: '" + batch_source + "' has " +
                                       std::to_string(prepared.batch_size) + ", '" + input.name + "' has " +
                                       std::to_string(batch));
      }
    }
    if (spec->has_reshape()) {
      Shape model_shape = MapShape(shape, spec->dims(), spec->reshape().shape(), batch_dims);
      if (NumElements(model_shape) != tensor.num_elements()) {
        return Status::InvalidArgument("inference input '" + input.name + "' of shape " + ShapeToString(shape) +
                                       " cannot be reshaped to the model's " + ShapeToString(model_shape));
      }
      prepared.feeds[input.name] = tensor.Reshape(std::move(model_shape));
    } else {
      prepared.feeds[input.name] = tensor;
    }
  }
  for (int i = 0; i < config.input_size(); ++i) {
    const auto& in = config.input(i);
    if (!in.optional() && !given[static_cast<size_t>(i)]) {
      return Status::InvalidArgument("expected inference input '" + in.name() + "' for model '" + model +
                                     "' is missing from the request");
    }
  }

  std::set<std::string> requested;
  for (const auto& out : request.outputs) {
    const inference::ModelOutput* spec = nullptr;
    for (const auto& o : config.output()) {
      if (o.name() == out.name) spec = &o;
    }
    if (!spec) {
      return Status::InvalidArgument("unexpected inference output '" + out.name + "' for model '" + model +
                                     "' (its outputs: " + NameList(config.output()) + ")");
    }
    if (!requested.insert(out.name).second) {
      return Status::InvalidArgument("inference output '" + out.name + "' is requested more than once");
    }
    if (out.classification > 0 && spec->data_type() == inference::TYPE_STRING) {
      return Status::InvalidArgument("classification of output '" + out.name + "' needs a numeric output, but it is BYTES");
    }
    prepared.outputs.push_back(out);
  }
  if (prepared.outputs.empty()) {
    for (const auto& o : config.output()) prepared.outputs.push_back(RequestedOutput{o.name(), 0, {}});
  }
  return prepared;
}

Result<InferOutput> BuildOutput(const inference::ModelConfig& config, const RequestedOutput& requested,
                                const Tensor& model_output, const std::vector<std::string>& labels) {
  const bool batched = config.max_batch_size() > 0;
  const inference::ModelOutput* spec = nullptr;
  for (const auto& o : config.output()) {
    if (o.name() == requested.name) spec = &o;
  }
  if (!spec) return Status::Internal("output '" + requested.name + "' is not configured");
  Tensor tensor = model_output;
  if (spec->has_reshape()) {
    Shape shape = MapShape(tensor.shape(), spec->reshape().shape(), spec->dims(), batched ? 1 : 0);
    if (NumElements(shape) != tensor.num_elements()) {
      return Status::Internal("output '" + requested.name + "' of shape " + ShapeToString(tensor.shape()) +
                              " does not fit its configured dims " + ShapeToString(shape));
    }
    tensor = tensor.Reshape(std::move(shape));
  }
  InferOutput out;
  out.name = requested.name;
  if (requested.classification > 0) {
    KILN_ASSIGN_OR_RETURN(out.tensor, Classify(tensor, batched, requested.classification, labels));
  } else {
    out.tensor = std::move(tensor);
  }
  return out;
}

}  // namespace kiln::server
