// The "echo" model that the front-end test fakes (server/grpc/testing and
// server/http/testing FakeInferenceService) describe and run: versions "1"
// and "2", INT32 [-1,16] in and out, and an Infer that answers every input
// as an output of the same name. The fakes differ in everything else they
// script (error models, statistics, threading), which their tests pin down.
// Stateless functions; safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "server/core/inference_service.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server::testing {

// Metadata of `model` as the echo model: versions 1 and 2, INPUT0 and OUTPUT0.
inline ModelMetadata EchoModelMetadata(const std::string& model) {
  ModelMetadata metadata;
  metadata.name = model;
  metadata.versions = {"1", "2"};
  metadata.platform = "onnxruntime_onnx";
  metadata.inputs = {{"INPUT0", "INT32", {-1, 16}}};
  metadata.outputs = {{"OUTPUT0", "INT32", {-1, 16}}};
  return metadata;
}

// Config of `model` as the echo model: onnxruntime_onnx, max_batch_size 8
// (callers add inputs or outputs when their tests look at them).
inline std::shared_ptr<inference::ModelConfig> EchoModelConfig(const std::string& model) {
  auto config = std::make_shared<inference::ModelConfig>();
  config->set_name(model);
  config->set_platform("onnxruntime_onnx");
  config->set_max_batch_size(8);
  return config;
}

// Every input of `request` as an output of the same name, dtype, shape and
// data: only the requested ones when outputs are named (InvalidArgument for
// a requested output that is no input). The version defaults to "2".
inline Result<InferResponse> EchoResponse(const InferRequest& request) {
  InferResponse response;
  response.model_name = request.model_name;
  response.model_version = request.model_version.empty() ? "2" : request.model_version;
  response.id = request.id;
  for (const RequestedOutput& requested : request.outputs) {
    bool found = false;
    for (const InferInput& input : request.inputs) found = found || input.name == requested.name;
    if (!found) return Status::InvalidArgument("unknown output '" + requested.name + "'");
  }
  for (const InferInput& input : request.inputs) {
    bool wanted = request.outputs.empty();
    for (const RequestedOutput& requested : request.outputs) wanted = wanted || requested.name == input.name;
    if (wanted) response.outputs.push_back({input.name, input.tensor, {}});
  }
  return response;
}

}  // namespace kiln::server::testing
