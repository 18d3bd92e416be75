#include "server/core/model_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/runtime/thread_pool.h"
#include "server/core/datatype.h"
#include "server/repository/config_data_type.h"
#include "server/repository/config_loader.h"
#include "server/repository/model_name.h"
#include "server/repository/repository_scanner.h"
#include "server/repository/version_policy.h"

namespace kiln::server {
namespace {

std::string VersionList(const std::set<int64_t>& versions) {
  std::string s;
  for (int64_t v : versions) s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s.empty() ? "none" : s;
}

std::vector<TensorMetadata> DescribeTensors(const inference::ModelConfig& config, bool inputs) {
  std::vector<TensorMetadata> out;
  auto describe = [&](const std::string& name, inference::DataType type, const auto& dims) {
    TensorMetadata t;
    t.name = name;
    auto dtype = EngineDataType(type);
    t.datatype = dtype ? std::string(V2DataTypeName(*dtype)) : "";
    if (config.max_batch_size() > 0) t.shape.push_back(-1);
    t.shape.insert(t.shape.end(), dims.begin(), dims.end());
    out.push_back(std::move(t));
  };
  if (inputs) {
    for (const auto& in : config.input()) describe(in.name(), in.data_type(), in.dims());
  } else {
    for (const auto& o : config.output()) describe(o.name(), o.data_type(), o.dims());
  }
  return out;
}

}  // namespace

ModelServer::ModelServer(ModelServerOptions options) : options_(std::move(options)) {
  cores_ = options_.threads > 0 ? options_.threads : ThreadPool::AvailableCores();
}

ModelServer::~ModelServer() { Shutdown(); }

Result<std::unique_ptr<ModelServer>> ModelServer::Create(ModelServerOptions options) {
  if (options.repositories.empty()) return Status::InvalidArgument("at least one model repository is needed");
  if (!options.scheduler_factory) options.scheduler_factory = &Scheduler::Create;
  KILN_ASSIGN_OR_RETURN(RepositoryScan scan, ScanRepositories(options.repositories));

  std::vector<std::string> startup;
  const bool all = options.control_mode != ModelControlMode::kExplicit ||
                   std::find(options.startup_models.begin(), options.startup_models.end(), "*") !=
                       options.startup_models.end();
  if (all) {
    for (const auto& [name, source] : scan.models) startup.push_back(name);
    for (const auto& [name, reason] : scan.errors) startup.push_back(name);
  } else {
    for (const auto& name : options.startup_models) {
      KILN_RETURN_IF_ERROR(ValidateModelName(name).WithContext("--load-model"));
      startup.push_back(name);
    }
  }

  std::unique_ptr<ModelServer> server(new ModelServer(std::move(options)));
  for (const auto& name : startup) {
    auto it = scan.models.find(name);
    if (it == scan.models.end()) continue;
    auto config = LoadModelConfigFile(it->second.dir);
    if (config.ok()) server->planned_instances_ += InstanceCount(*config);
  }
  spdlog::info("model control mode: {}; {} core(s) for model instances",
               ModelControlModeName(server->options_.control_mode), server->cores_);

  std::lock_guard<std::mutex> control(server->control_mutex_);
  for (const auto& name : startup) {
    {
      std::lock_guard<std::mutex> lock(server->mutex_);
      server->models_[name].required = true;
    }
    auto error = scan.errors.find(name);
    if (error != scan.errors.end()) {
      spdlog::error("failed to load model '{}': {}", name, error->second);
      server->SetState(name, "UNAVAILABLE", error->second);
      continue;
    }
    server->LoadOrReload(name, std::nullopt).ok();  // logged inside; readiness reflects it
  }
  return server;
}

int ModelServer::ThreadsPerInstance(int new_instances) const {
  int loaded = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [v, version] : entry.versions) loaded += version->instance_count();
    }
  }
  const int total = std::max(planned_instances_, loaded + new_instances);
  return std::max(1, cores_ / std::max(1, total));
}

void ModelServer::SetState(const std::string& name, const std::string& state, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& entry = models_[name];
  entry.state = state;
  entry.reason = reason;
}

Status ModelServer::LoadOrReload(const std::string& name,
                                 const std::optional<inference::ModelConfig>& config_override) {
  auto fail = [&](const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = models_[name];
    // A poll meets the same broken config again and again: log it once.
    if (entry.reason != status.message()) spdlog::error("failed to load model '{}': {}", name, status.message());
    entry.reason = status.message();
    entry.state = entry.versions.empty() ? "UNAVAILABLE" : "READY";
    return status;
  };
  auto source = FindModel(options_.repositories, name);
  if (!source.ok()) return fail(source.status());
  Result<inference::ModelConfig> config =
      config_override ? Result<inference::ModelConfig>(*config_override) : LoadModelConfigFile(source->dir);
  if (!config.ok()) return fail(config.status());
  auto wanted = SelectVersions(config->version_policy(), source->versions);
  if (!wanted.ok()) return fail(wanted.status());
  if (wanted->empty()) {
    return fail(Status::NotFound("no version of model '" + name + "' is available under its version_policy " +
                                 "(version folders: " + VersionList(source->versions) + ")"));
  }

  // Decide what to load without holding the table lock during loads.
  std::map<int64_t, std::shared_ptr<ModelVersion>> kept;
  std::map<int64_t, std::string> fingerprints, failed;
  std::vector<int64_t> to_load;
  bool unchanged = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = models_[name];
    for (int64_t v : *wanted) {
      const std::string print = VersionFingerprint(*source, v, config->default_model_filename());
      fingerprints[v] = print;
      auto loaded = entry.versions.find(v);
      if (!config_override && loaded != entry.versions.end() && entry.fingerprints[v] == print) {
        kept[v] = loaded->second;
      } else if (!config_override && entry.failed_fingerprints.count(v) && entry.failed_fingerprints[v] == print) {
        failed[v] = print;  // failed before and unchanged: not retried
      } else {
        to_load.push_back(v);
      }
    }
    if (!to_load.empty() && entry.versions.empty()) entry.state = "LOADING";
    // Only loads and the control paths change entry.versions, and they are
    // serialized, so this stays true until the swap below.
    unchanged = to_load.empty() && failed.empty() && kept.size() == entry.versions.size();
  }
  if (unchanged) return Status::Ok();

  std::map<int64_t, std::shared_ptr<ModelVersion>> loaded_now;
  Status first_error;
  for (int64_t v : to_load) {
    ModelVersionSpec spec;
    spec.source = *source;
    spec.version = v;
    spec.config = *config;
    spec.threads_per_instance = ThreadsPerInstance(InstanceCount(*config));
    spec.scheduler_factory = options_.scheduler_factory;
    spec.batch_size_warmup = options_.batch_size_warmup;
    auto version = ModelVersion::Load(spec);
    if (!version.ok()) {
      Status error = version.status().WithContext("model '" + name + "' version " + std::to_string(v));
      spdlog::error("failed to load {}", error.message());
      if (first_error.ok()) first_error = error;
      failed[v] = fingerprints[v];
      continue;
    }
    spdlog::info("loaded model '{}' version {} ({} instance(s), {} thread(s) each)", name, v,
                 (*version)->instance_count(), spec.threads_per_instance);
    const BatchSizeWarmup& warmed = (*version)->batch_size_warmup();
    if (warmed.max_batch_size > 0) {
      spdlog::info("model '{}' version {}: warmed batch sizes 1-{} ({} shape(s) per instance) in {} ms", name, v,
                   warmed.max_batch_size, warmed.shapes, (*version)->batch_size_warmup_time().count());
    } else if (!warmed.skipped.empty()) {
      spdlog::info("model '{}' version {}: batch sizes not warmed: {}", name, v, warmed.skipped);
    }
    loaded_now[v] = std::shared_ptr<ModelVersion>(std::move(*version));
  }

  std::vector<std::shared_ptr<ModelVersion>> retired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = models_[name];
    for (const auto& [v, print] : failed) entry.failed_fingerprints[v] = print;
    for (const auto& [v, version] : loaded_now) entry.failed_fingerprints.erase(v);
    if (kept.empty() && loaded_now.empty()) {
      // Nothing of the wanted set could load: keep serving what serves now.
      entry.state = entry.versions.empty() ? "UNAVAILABLE" : "READY";
      if (!first_error.ok()) entry.reason = first_error.message();  // else: the failure seen before stands
      return first_error;
    }
    std::map<int64_t, std::shared_ptr<ModelVersion>> next = kept;
    for (auto& [v, version] : loaded_now) next[v] = version;
    for (auto& [v, version] : entry.versions) {
      auto it = next.find(v);
      if (it == next.end() || it->second != version) retired.push_back(version);
    }
    entry.versions = std::move(next);
    entry.fingerprints.clear();
    for (const auto& [v, version] : entry.versions) entry.fingerprints[v] = fingerprints[v];
    entry.state = "READY";
    if (!first_error.ok() || failed.empty()) entry.reason = first_error.message();
  }
  for (auto& version : retired) {
    spdlog::info("unloading model '{}' version {}", name, version->version());
    version->Drain();  // in-flight requests finish first
    version.reset();
  }
  return first_error;
}

void ModelServer::RetireAll(const std::string& name, const std::string& reason, bool erase_entry) {
  std::map<int64_t, std::shared_ptr<ModelVersion>> retired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(name);
    if (it == models_.end()) return;
    retired.swap(it->second.versions);
    if (erase_entry) {
      models_.erase(it);
    } else {
      it->second.state = retired.empty() ? "UNAVAILABLE" : "UNLOADING";
      it->second.reason = reason;
      it->second.required = false;
      it->second.fingerprints.clear();
      it->second.failed_fingerprints.clear();
    }
  }
  for (auto& [v, version] : retired) {
    spdlog::info("unloading model '{}' version {}", name, v);
    version->Drain();
  }
  retired.clear();
  if (!erase_entry) SetState(name, "UNAVAILABLE", reason);
}

Status ModelServer::PollRepository() {
  std::lock_guard<std::mutex> control(control_mutex_);
  if (shutting_down_) return Status::Unavailable("the server is shutting down");
  auto scan = ScanRepositories(options_.repositories);
  if (!scan.ok()) {
    spdlog::error("repository poll failed: {}", scan.status().message());
    return scan.status();
  }
  Status first_error;
  for (const auto& [name, source] : scan->models) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      models_[name].required = true;
    }
    Status s = LoadOrReload(name, std::nullopt);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : models_) {
      if (!scan->models.count(name)) gone.push_back(name);
    }
  }
  for (const auto& name : gone) {
    auto error = scan->errors.find(name);
    if (error != scan->errors.end()) {
      RetireAll(name, error->second, /*erase_entry=*/false);
      std::lock_guard<std::mutex> lock(mutex_);
      models_[name].required = true;
      if (first_error.ok()) first_error = Status::InvalidArgument(error->second);
    } else {
      spdlog::info("model '{}' left the repository", name);
      RetireAll(name, "removed from the repository", /*erase_entry=*/true);
    }
  }
  return first_error;
}

Status ModelServer::LoadModel(const std::string& model, const LoadModelOptions& options) {
  if (options_.control_mode != ModelControlMode::kExplicit) {
    return Status::Unavailable("explicit model load / unload is not allowed: the model control mode is " +
                               std::string(ModelControlModeName(options_.control_mode)));
  }
  KILN_RETURN_IF_ERROR(ValidateModelName(model));
  std::optional<inference::ModelConfig> config_override;
  if (options.config_json) {
    KILN_ASSIGN_OR_RETURN(config_override, ParseModelConfigJson(*options.config_json));
  }
  std::lock_guard<std::mutex> control(control_mutex_);
  if (shutting_down_) return Status::Unavailable("the server is shutting down");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    models_[model].required = true;
  }
  Status status = LoadOrReload(model, config_override);
  if (status.code() == StatusCode::kNotFound) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(model);
    if (it != models_.end() && it->second.versions.empty()) models_.erase(it);  // no trace of an unknown name
  }
  return status;
}

Status ModelServer::UnloadModel(const std::string& model) {
  if (options_.control_mode != ModelControlMode::kExplicit) {
    return Status::Unavailable("explicit model load / unload is not allowed: the model control mode is " +
                               std::string(ModelControlModeName(options_.control_mode)));
  }
  KILN_RETURN_IF_ERROR(ValidateModelName(model));
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!models_.count(model)) {
      auto source = FindModel(options_.repositories, model);
      if (!source.ok()) return source.status();
      return Status::Ok();  // known but not loaded: nothing to do
    }
  }
  RetireAll(model, "unloaded", /*erase_entry=*/false);
  return Status::Ok();
}

void ModelServer::BeginShutdown() {
  if (!shutting_down_.exchange(true)) spdlog::info("shutting down: no new requests, draining the ones in flight");
}

void ModelServer::Shutdown() {
  BeginShutdown();
  std::lock_guard<std::mutex> control(control_mutex_);
  if (shut_down_.exchange(true)) return;
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : models_) names.push_back(name);
  }
  for (const auto& name : names) RetireAll(name, "server shut down", /*erase_entry=*/false);
}

bool ModelServer::IsLive() const { return !shut_down_; }

bool ModelServer::IsReady() const {
  if (shutting_down_) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, entry] : models_) {
    if (entry.required && entry.versions.empty()) return false;
  }
  return true;
}

ServerMetadata ModelServer::GetServerMetadata() const {
  return ServerMetadata{"kiln", KILN_VERSION,
                        {"classification", "model_repository", "model_configuration", "statistics",
                         "binary_tensor_data", "parameters"}};
}

Result<std::shared_ptr<ModelVersion>> ModelServer::FindVersion(const std::string& model,
                                                                const std::string& version) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = models_.find(model);
  if (it == models_.end()) return Status::NotFound("unknown model: '" + model + "' is not found");
  const ModelEntry& entry = it->second;
  if (version.empty()) {
    if (entry.versions.empty()) {
      return Status::Unavailable("model '" + model + "' is not ready" +
                                 (entry.reason.empty() ? std::string() : ": " + entry.reason));
    }
    return entry.versions.rbegin()->second;
  }
  auto number = ParseVersionFolder(version);
  auto found = number ? entry.versions.find(*number) : entry.versions.end();
  if (found == entry.versions.end()) {
    return Status::NotFound("unknown model: '" + model + "' version " + version + " is not found");
  }
  return found->second;
}

Result<bool> ModelServer::IsModelReady(const std::string& model, const std::string& version) const {
  auto found = FindVersion(model, version);
  if (found.ok()) return !shutting_down_.load();
  if (found.status().code() == StatusCode::kUnavailable) return false;
  return found.status();
}

Result<ModelMetadata> ModelServer::GetModelMetadata(const std::string& model, const std::string& version) const {
  KILN_ASSIGN_OR_RETURN(auto found, FindVersion(model, version));
  ModelMetadata metadata;
  metadata.name = model;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(model);
    if (it != models_.end()) {
      for (const auto& [v, loaded] : it->second.versions) metadata.versions.push_back(std::to_string(v));
    }
  }
  auto config = found->config();
  metadata.platform = config->platform();
  metadata.inputs = DescribeTensors(*config, true);
  metadata.outputs = DescribeTensors(*config, false);
  return metadata;
}

Result<std::shared_ptr<const inference::ModelConfig>> ModelServer::GetModelConfig(const std::string& model,
                                                                                  const std::string& version) const {
  KILN_ASSIGN_OR_RETURN(auto found, FindVersion(model, version));
  return found->config();
}

Result<std::vector<ModelStatisticsSnapshot>> ModelServer::GetModelStatistics(const std::string& model,
                                                                             const std::string& version) const {
  std::vector<ModelStatisticsSnapshot> out;
  if (!model.empty()) {
    if (!version.empty()) {
      KILN_ASSIGN_OR_RETURN(auto found, FindVersion(model, version));
      out.push_back(found->stats()->Snapshot());
      return out;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(model);
    if (it == models_.end()) return Status::NotFound("unknown model: '" + model + "' is not found");
    for (const auto& [v, loaded] : it->second.versions) out.push_back(loaded->stats()->Snapshot());
    return out;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, entry] : models_) {
    for (const auto& [v, loaded] : entry.versions) out.push_back(loaded->stats()->Snapshot());
  }
  return out;
}

std::vector<RepositoryIndexEntry> ModelServer::GetRepositoryIndex(bool ready_only) const {
  std::set<std::string> names;
  auto scan = ScanRepositories(options_.repositories);
  if (scan.ok()) {
    for (const auto& [name, source] : scan->models) names.insert(name);
    for (const auto& [name, reason] : scan->errors) names.insert(name);
  }
  std::vector<RepositoryIndexEntry> index;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, entry] : models_) names.insert(name);
  for (const auto& name : names) {
    auto it = models_.find(name);
    if (it != models_.end() && !it->second.versions.empty()) {
      for (const auto& [v, loaded] : it->second.versions) index.push_back({name, std::to_string(v), "READY", ""});
      continue;
    }
    if (ready_only) continue;
    if (it != models_.end()) {
      index.push_back({name, "", it->second.state, it->second.reason});
    } else {
      index.push_back({name, "", "UNAVAILABLE", "not loaded"});
    }
  }
  return index;
}

void ModelServer::Infer(InferRequest request, InferCallback done) {
  const auto arrival = std::chrono::steady_clock::now();
  if (shutting_down_) {
    done(Status::Unavailable("the server is shutting down"));
    return;
  }
  auto found = FindVersion(request.model_name, request.model_version);
  if (!found.ok()) {
    done(found.status());
    return;
  }
  std::shared_ptr<ModelVersion> version = std::move(*found);
  if (spdlog::should_log(spdlog::level::debug)) {
    // --log-verbose: one line per request when it is answered.
    done = [inner = std::move(done), model = request.model_name, v = version->version_string(), id = request.id,
            arrival](Result<InferResponse> result) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - arrival);
      spdlog::debug("infer model='{}' version={} id='{}' status={} {}us", model, v, id,
                    result.ok() ? "OK" : StatusCodeName(result.status().code()), us.count());
      inner(std::move(result));
    };
  }
  version->Infer(std::move(request), arrival, std::move(done));
}

}  // namespace kiln::server
