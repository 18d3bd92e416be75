// FakeInferenceService (http_testing): an InferenceService for the HTTP and metrics tests, with fixed
// behaviour per model name:
//   "echo"     versions 1 and 2, ready: Infer returns every input as an
//              output of the same name (or the requested ones; an unknown
//              requested output is InvalidArgument), answering from a
//              separate thread as the real scheduler does.
//   "loading"  exists, not ready: IsModelReady false, Infer Unavailable.
//   "busy"     Infer ResourceExhausted (queue full).
//   "unimpl"   Infer Unimplemented.  "broken": Infer Internal.
//   "hold"     Infer waits until ReleaseHeld() before answering like "echo".
//   other      NotFound everywhere.
// Records the last request, loads and unloads. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "server/core/inference_service.h"
#include "server/core/model_statistics.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server::http_testing {

class FakeInferenceService : public InferenceService {
 public:
  FakeInferenceService() : echo_v1_("echo", "1"), echo_v2_("echo", "2") {}
  ~FakeInferenceService() override {
    ReleaseHeld();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(threads_);
    }
    for (std::thread& thread : threads) thread.join();
  }

  bool IsLive() const override { return true; }
  bool IsReady() const override { return ready; }
  ServerMetadata GetServerMetadata() const override {
    return {"kiln", "0.1.0", {"classification", "model_repository", "statistics", "binary_tensor_data"}};
  }

  Result<bool> IsModelReady(const std::string& model, const std::string& version) const override {
    KILN_RETURN_IF_ERROR(Check(model, version));
    return model != "loading";
  }
  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) const override {
    KILN_RETURN_IF_ERROR(Check(model, version));
    ModelMetadata metadata;
    metadata.name = model;
    metadata.versions = {"1", "2"};
    metadata.platform = "onnxruntime_onnx";
    metadata.inputs = {{"INPUT0", "INT32", {-1, 16}}};
    metadata.outputs = {{"OUTPUT0", "INT32", {-1, 16}}};
    return metadata;
  }
  Result<std::shared_ptr<const inference::ModelConfig>> GetModelConfig(const std::string& model,
                                                                       const std::string& version) const override {
    KILN_RETURN_IF_ERROR(Check(model, version));
    auto config = std::make_shared<inference::ModelConfig>();
    config->set_name(model);
    config->set_platform("onnxruntime_onnx");
    config->set_max_batch_size(8);
    auto* input = config->add_input();
    input->set_name("INPUT0");
    input->add_dims(-1);
    input->add_dims(16);
    return std::shared_ptr<const inference::ModelConfig>(config);
  }
  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string& version) const override {
    if (!model.empty()) KILN_RETURN_IF_ERROR(Check(model, version));
    std::vector<ModelStatisticsSnapshot> out;
    if (model.empty() || model == "echo") {
      if (version.empty() || version == "1") out.push_back(echo_v1_.Snapshot());
      if (version.empty() || version == "2") out.push_back(echo_v2_.Snapshot());
    }
    return out;
  }
  std::vector<RepositoryIndexEntry> GetRepositoryIndex(bool ready_only) const override {
    std::vector<RepositoryIndexEntry> entries = {{"echo", "2", "READY", ""}};
    if (!ready_only) entries.push_back({"loading", "", "LOADING", "warming up"});
    return entries;
  }
  Status LoadModel(const std::string& model, const LoadModelOptions& options) override {
    std::lock_guard<std::mutex> lock(mutex_);
    loads.push_back(model + (options.config_json ? " config=" + *options.config_json : ""));
    if (model == "echo") return Status::Ok();
    return Status::NotFound("no model '" + model + "' in the repository");
  }
  Status UnloadModel(const std::string& model) override {
    std::lock_guard<std::mutex> lock(mutex_);
    unloads.push_back(model);
    return model == "echo" ? Status::Ok() : Status::NotFound("model '" + model + "' is not loaded");
  }

  void Infer(InferRequest request, InferCallback done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_request = request;
    }
    const std::string& model = request.model_name;
    if (model == "busy") return done(Status::ResourceExhausted("the queue of model 'busy' is full"));
    if (model == "unimpl") return done(Status::Unimplemented("sequence batching is not supported"));
    if (model == "broken") return done(Status::Internal("engine failure"));
    if (model == "loading") return done(Status::Unavailable("model 'loading' is not ready"));
    if (Status status = Check(model, request.model_version); !status.ok()) return done(status);
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.emplace_back([this, request = std::move(request), done = std::move(done)]() mutable {
      if (request.model_name == "hold") {
        std::unique_lock<std::mutex> held(mutex_);
        ++held_count_;
        changed_.notify_all();
        changed_.wait(held, [&] { return released_; });
      }
      done(Echo(request));
    });
  }

  // Blocks until `n` "hold" requests are waiting.
  void WaitForHeld(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return held_count_ >= n; });
  }
  void ReleaseHeld() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

  ModelStatistics& echo_v1() { return echo_v1_; }

  // Test-visible state (guard with the service's own use: read after the calls finished).
  bool ready = true;
  InferRequest last_request;
  std::vector<std::string> loads;
  std::vector<std::string> unloads;

 private:
  static Status Check(const std::string& model, const std::string& version) {
    if (model != "echo" && model != "loading" && model != "hold") {
      return Status::NotFound("unknown model '" + model + "'");
    }
    if (!version.empty() && version != "1" && version != "2") {
      return Status::NotFound("model '" + model + "' has no version " + version);
    }
    return Status::Ok();
  }

  static Result<InferResponse> Echo(const InferRequest& request) {
    InferResponse response;
    response.model_name = request.model_name;
    response.model_version = request.model_version.empty() ? "2" : request.model_version;
    response.id = request.id;
    for (const RequestedOutput& wanted : request.outputs) {
      bool found = false;
      for (const InferInput& input : request.inputs) found = found || input.name == wanted.name;
      if (!found) return Status::InvalidArgument("unknown output '" + wanted.name + "'");
    }
    for (const InferInput& input : request.inputs) {
      bool wanted = request.outputs.empty();
      for (const RequestedOutput& output : request.outputs) wanted = wanted || output.name == input.name;
      if (wanted) response.outputs.push_back({input.name, input.tensor, {}});
    }
    return response;
  }

  ModelStatistics echo_v1_;
  ModelStatistics echo_v2_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;  // guarded by mutex_
  int held_count_ = 0;                // guarded by mutex_
  bool released_ = false;             // guarded by mutex_
};

}  // namespace kiln::server::http_testing
