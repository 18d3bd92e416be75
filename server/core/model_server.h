// ModelServer: the InferenceService behind `kiln serve` — a versioned model
// repository (one or more folders) served through per-version schedulers.
//
// Lifecycle of a model: scanned from the repositories, its config.pbtxt read
// (or derived), the versions chosen by its version_policy loaded (each with
// its instances, see ModelVersion), then served. A reload (poll mode or
// LoadModel) loads changed/new versions first and only then retires the ones
// no longer wanted; a version that fails to load leaves the serving versions
// untouched. A retired version stops taking requests and finishes the ones
// in flight before it is freed.
//
// Threads: loads, unloads and polls are serialized (control_mutex_); the
// model table is guarded by mutex_, held only briefly, never during a load
// or a drain, so inference continues while models change. Every public
// method is thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/core/inference_service.h"
#include "server/core/model_control_mode.h"
#include "server/core/model_version.h"

namespace kiln::server {

struct ModelServerOptions {
  std::vector<std::string> repositories;  // at least one
  ModelControlMode control_mode = ModelControlMode::kNone;
  // Explicit mode: the models to load at start ("*" = all of them).
  std::vector<std::string> startup_models;
  // Cores shared by every model instance; 0 = the CPUs this process may use.
  // Each instance's Session gets max(1, cores / instances) threads, counting
  // the instances of every model loaded so far or planned at start.
  int threads = 0;
  // Models with dynamic_batching run every batch size they can form at load
  // (server/core/batch_size_warmup.h).
  bool batch_size_warmup = true;
  // Empty: Scheduler::Create.
  SchedulerFactory scheduler_factory;
};

class ModelServer : public InferenceService {
 public:
  // Checks the repositories and loads the startup models. A model that fails
  // to load is logged and leaves the server not ready (as Triton with
  // --strict-readiness); the others serve. Errors only for unusable options
  // (a missing repository, an invalid --load-model name).
  static Result<std::unique_ptr<ModelServer>> Create(ModelServerOptions options);
  ~ModelServer() override;  // Shutdown()

  bool IsLive() const override;
  bool IsReady() const override;
  ServerMetadata GetServerMetadata() const override;
  Result<bool> IsModelReady(const std::string& model, const std::string& version) const override;
  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) const override;
  Result<std::shared_ptr<const inference::ModelConfig>> GetModelConfig(const std::string& model,
                                                                      const std::string& version) const override;
  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string& version) const override;
  std::vector<RepositoryIndexEntry> GetRepositoryIndex(bool ready_only) const override;
  Status LoadModel(const std::string& model, const LoadModelOptions& options) override;
  Status UnloadModel(const std::string& model) override;
  void Infer(InferRequest request, InferCallback done) override;

  // Brings the served models in line with the repositories (poll mode's
  // periodic step; callable in any mode for tests). Returns the first
  // model's load error, if any; every model is still visited.
  Status PollRepository();
  // Stops taking requests (Unavailable) and reports not ready; in-flight
  // requests continue. Idempotent.
  void BeginShutdown();
  // BeginShutdown, then waits for every in-flight request and frees every
  // version. Idempotent.
  void Shutdown();

  const ModelServerOptions& options() const { return options_; }

 private:
  struct ModelEntry {
    std::map<int64_t, std::shared_ptr<ModelVersion>> versions;  // ready, by version
    std::map<int64_t, std::string> fingerprints;                // of the loaded versions
    std::map<int64_t, std::string> failed_fingerprints;         // not retried until they change
    std::string state = "UNAVAILABLE";  // READY, LOADING, UNLOADING, UNAVAILABLE
    std::string reason;                 // the last load error, "unloaded", ...
    bool required = false;              // counts for server readiness
  };

  explicit ModelServer(ModelServerOptions options);

  // Loads or reloads `name` from the repositories; `config_override`
  // replaces config.pbtxt. Needs control_mutex_.
  Status LoadOrReload(const std::string& name, const std::optional<inference::ModelConfig>& config_override);
  // Removes every version of `name` and drains them. Needs control_mutex_.
  void RetireAll(const std::string& name, const std::string& reason, bool erase_entry);
  // A ready version: `version` empty = the newest. NotFound / Unavailable.
  Result<std::shared_ptr<ModelVersion>> FindVersion(const std::string& model, const std::string& version) const;
  int ThreadsPerInstance(int new_instances) const;
  void SetState(const std::string& name, const std::string& state, const std::string& reason);

  const ModelServerOptions options_;
  int cores_ = 1;
  int planned_instances_ = 0;  // instances of the startup models (thread division)

  std::mutex control_mutex_;  // serializes loads, unloads, polls and shutdown
  mutable std::mutex mutex_;  // guards models_
  std::map<std::string, ModelEntry> models_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> shut_down_{false};
};

}  // namespace kiln::server
