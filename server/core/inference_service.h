// InferenceService: everything the protocol front-ends (HTTP/REST, gRPC) may
// ask of the server, in protocol-neutral types. The front-ends only translate
// wire formats to and from these calls; the repository, versions, scheduling
// and statistics live behind this interface (implemented by ModelServer in
// server/core, faked in front-end tests).
//
// Thread-safety: every method may be called concurrently from any thread.
// Error codes map to HTTP/gRPC statuses in one place per front-end:
// InvalidArgument → 400 / INVALID_ARGUMENT, NotFound → 404 / NOT_FOUND,
// Unavailable → 503 / UNAVAILABLE, ResourceExhausted → 429 (+ Retry-After) /
// RESOURCE_EXHAUSTED, Unimplemented → 501 / UNIMPLEMENTED, others → 500 / INTERNAL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/core/infer_types.h"
#include "server/core/model_statistics.h"

namespace inference {
class ModelConfig;  // server/proto/model_config.proto (Triton's model configuration)
}  // namespace inference

namespace kiln::server {

struct ServerMetadata {
  std::string name;     // "kiln"
  std::string version;  // KILN_VERSION
  std::vector<std::string> extensions;  // e.g. "classification", "model_repository", "statistics", "binary_tensor_data"
};

// A tensor as the v2 metadata describes it: -1 marks a variable dimension;
// the batch dimension is included (as -1) for models with max_batch_size > 0.
struct TensorMetadata {
  std::string name;
  std::string datatype;  // v2 name, e.g. "FP32"
  std::vector<int64_t> shape;
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;  // ready versions, ascending
  std::string platform;               // "onnxruntime_onnx"
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

// One row of the repository index.
struct RepositoryIndexEntry {
  std::string name;
  std::string version;  // empty for a model with no version loaded
  std::string state;    // "READY", "LOADING", "UNLOADING", "UNAVAILABLE"
  std::string reason;   // why not ready (a load error), empty otherwise
};

struct LoadModelOptions {
  // Replaces config.pbtxt for this load (repository extension's "config"
  // parameter): the model configuration as JSON.
  std::optional<std::string> config_json;
};

class InferenceService {
 public:
  virtual ~InferenceService() = default;

  virtual bool IsLive() const = 0;
  // Ready: started, not draining, and every model that must load has loaded.
  virtual bool IsReady() const = 0;
  virtual ServerMetadata GetServerMetadata() const = 0;

  // `version` empty = the newest ready version. NotFound for an unknown model
  // or version.
  virtual Result<bool> IsModelReady(const std::string& model, const std::string& version) const = 0;
  virtual Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) const = 0;
  virtual Result<std::shared_ptr<const inference::ModelConfig>> GetModelConfig(const std::string& model,
                                                                              const std::string& version) const = 0;
  // Statistics of every loaded version of `model` (all models when empty);
  // `version` narrows to one.
  virtual Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                          const std::string& version) const = 0;

  virtual std::vector<RepositoryIndexEntry> GetRepositoryIndex(bool ready_only) const = 0;
  // Loads (or reloads) a model; returns when it is ready or has failed.
  // Unavailable when model control is not explicit... (as Triton: the
  // repository API works in explicit mode only).
  virtual Status LoadModel(const std::string& model, const LoadModelOptions& options) = 0;
  virtual Status UnloadModel(const std::string& model) = 0;

  // Runs a request asynchronously; `done` is called exactly once (possibly
  // before Infer returns, on any thread).
  virtual void Infer(InferRequest request, InferCallback done) = 0;
};

}  // namespace kiln::server
