#include "server/repository/auto_complete.h"

#include "server/repository/config_data_type.h"

namespace kiln::server {
namespace {

bool HasDynamicBatchDim(const SignatureTensor& t) { return t.dims && !t.dims->empty() && t.dims->front() < 0; }

bool ModelCanBatch(const ModelSignature& model) {
  bool any_input = false;
  for (const auto& t : model.inputs) {
    if (t.has_default) continue;
    any_input = true;
    if (!HasDynamicBatchDim(t)) return false;
  }
  if (!any_input || model.outputs.empty()) return false;
  for (const auto& t : model.outputs) {
    if (!HasDynamicBatchDim(t)) return false;
  }
  return true;
}

// Fills data_type and dims of one config tensor (ModelInput or ModelOutput)
// from the model tensor where the config leaves them out.
template <typename ConfigTensor>
Status CompleteTensor(const SignatureTensor& model, bool batched, const char* kind, ConfigTensor* tensor) {
  if (tensor->data_type() == inference::TYPE_INVALID) tensor->set_data_type(ConfigDataType(model.dtype));
  if (tensor->dims_size() == 0 && !tensor->has_reshape()) {
    if (!model.dims) {
      return Status::InvalidArgument(std::string(kind) + " '" + model.name +
                                     "': the model does not declare its shape, so config.pbtxt must give dims");
    }
    const size_t skip = batched ? 1 : 0;
    for (size_t i = skip; i < model.dims->size(); ++i) tensor->add_dims((*model.dims)[i]);
    // A batched model's per-item scalar: Triton writes dims [1] with reshape [].
    if (tensor->dims_size() == 0) {
      tensor->add_dims(1);
      tensor->mutable_reshape();
    }
  }
  return Status::Ok();
}

}  // namespace

Status AutoCompleteConfig(const std::string& model_name, const ModelSignature& model,
                          inference::ModelConfig* config) {
  if (config->name().empty()) config->set_name(model_name);
  if (config->platform().empty() && (config->backend().empty() || config->backend() == kOnnxBackend)) {
    config->set_platform(kOnnxPlatform);
  }
  if (config->backend().empty() && config->platform() == kOnnxPlatform) config->set_backend(kOnnxBackend);

  if (config->max_batch_size() == 0 && config->input_size() == 0 && config->output_size() == 0 &&
      ModelCanBatch(model)) {
    config->set_max_batch_size(kDefaultMaxBatchSize);
    if (config->scheduling_choice_case() == inference::ModelConfig::SCHEDULING_CHOICE_NOT_SET) {
      config->mutable_dynamic_batching();
    }
  }
  const bool batched = config->max_batch_size() > 0;

  if (config->input_size() == 0) {
    for (const auto& t : model.inputs) {
      if (t.has_default) continue;
      config->add_input()->set_name(t.name);
    }
  }
  for (auto& input : *config->mutable_input()) {
    if (const SignatureTensor* t = model.FindInput(input.name())) {
      KILN_RETURN_IF_ERROR(CompleteTensor(*t, batched, "input", &input));
    }
  }
  if (config->output_size() == 0) {
    for (const auto& t : model.outputs) config->add_output()->set_name(t.name);
  }
  for (auto& output : *config->mutable_output()) {
    if (const SignatureTensor* t = model.FindOutput(output.name())) {
      KILN_RETURN_IF_ERROR(CompleteTensor(*t, batched, "output", &output));
    }
  }

  if (config->instance_group_size() == 0) config->add_instance_group();
  for (int i = 0; i < config->instance_group_size(); ++i) {
    auto* group = config->mutable_instance_group(i);
    if (group->count() == 0) group->set_count(1);
    if (group->kind() == inference::ModelInstanceGroup::KIND_AUTO) group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    if (group->name().empty()) group->set_name(config->name() + "_" + std::to_string(i));
  }
  return Status::Ok();
}

}  // namespace kiln::server
