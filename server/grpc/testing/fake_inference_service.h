// FakeInferenceService: a scripted InferenceService for front-end tests.
//
// Models: "echo" (versions "1" and "2", ready) answers every input as an
// output of the same name, dtype, shape and data — only the requested ones
// when outputs are named, InvalidArgument for an unknown requested output;
// "deferred" holds each request until ReleaseDeferred(); "loading" exists but
// is not ready; "unavailable", "busy", "unimplemented", "broken" and
// "invalid" fail Infer with Unavailable, ResourceExhausted, Unimplemented,
// Internal and InvalidArgument; any other name is NotFound. The last request
// seen by Infer, and load/unload calls, are recorded for inspection.
// Thread-safe: one mutex guards the recorded state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/core/inference_service.h"
#include "server/core/testing/echo_model.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server::grpc_testing {

class FakeInferenceService : public InferenceService {
 public:
  bool IsLive() const override { return true; }
  bool IsReady() const override { return ready_; }
  ServerMetadata GetServerMetadata() const override {
    return {"kiln", "0.1.0", {"classification", "model_repository", "statistics"}};
  }

  Result<bool> IsModelReady(const std::string& model, const std::string& version) const override {
    if (model == "loading") return false;
    KILN_RETURN_IF_ERROR(CheckKnown(model, version));
    return true;
  }

  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) const override {
    KILN_RETURN_IF_ERROR(CheckKnown(model, version));
    return testing::EchoModelMetadata(model);
  }

  Result<std::shared_ptr<const inference::ModelConfig>> GetModelConfig(const std::string& model,
                                                                       const std::string& version) const override {
    KILN_RETURN_IF_ERROR(CheckKnown(model, version));
    return std::shared_ptr<const inference::ModelConfig>(testing::EchoModelConfig(model));
  }

  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string& version) const override {
    if (!model.empty()) KILN_RETURN_IF_ERROR(CheckKnown(model, version));
    ModelStatisticsSnapshot s;
    s.name = "echo";
    s.version = "2";
    s.last_inference_ms = 1700000000000;
    s.inference_count = 12;
    s.execution_count = 3;
    s.success = {10, 5000};
    s.fail = {2, 700};
    s.queue = {10, 100};
    s.compute_input = {3, 30};
    s.compute_infer = {3, 3000};
    s.compute_output = {3, 300};
    s.batch_stats[4] = {{1, 10}, {1, 1000}, {1, 100}};
    s.batch_stats[1] = {{2, 20}, {2, 2000}, {2, 200}};
    return std::vector<ModelStatisticsSnapshot>{s};
  }

  std::vector<RepositoryIndexEntry> GetRepositoryIndex(bool ready_only) const override {
    std::vector<RepositoryIndexEntry> index = {{"echo", "2", "READY", ""}};
    if (!ready_only) index.push_back({"broken_model", "", "UNAVAILABLE", "config.pbtxt: unknown field 'foo'"});
    return index;
  }

  Status LoadModel(const std::string& model, const LoadModelOptions& options) override {
    std::lock_guard<std::mutex> lock(mutex_);
    loads_.push_back(model + (options.config_json ? " config=" + *options.config_json : ""));
    if (model == "invalid") return Status::InvalidArgument("config for 'invalid': bad field");
    return Status::Ok();
  }

  Status UnloadModel(const std::string& model) override {
    std::lock_guard<std::mutex> lock(mutex_);
    unloads_.push_back(model);
    return model == "echo" ? Status::Ok() : Status::NotFound("unknown model '" + model + "'");
  }

  void Infer(InferRequest request, InferCallback done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_request_ = request;
      ++infer_calls_;
    }
    const std::string& model = request.model_name;
    if (model == "unavailable") return done(Status::Unavailable("model 'unavailable' is loading"));
    if (model == "busy") return done(Status::ResourceExhausted("queue of 'busy' is full"));
    if (model == "unimplemented") return done(Status::Unimplemented("operator Foo is not supported"));
    if (model == "broken") return done(Status::Internal("engine failure"));
    if (model == "invalid") return done(Status::InvalidArgument("input 'x' has the wrong shape"));
    if (model == "deferred") {
      std::lock_guard<std::mutex> lock(mutex_);
      deferred_.push_back({std::move(request), std::move(done)});
      changed_.notify_all();
      return;
    }
    Status known = CheckKnown(model, request.model_version);
    if (!known.ok()) return done(known);
    done(testing::EchoResponse(request));
  }

  // Test controls.
  void set_ready(bool ready) { ready_ = ready; }
  InferRequest last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }
  int infer_calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return infer_calls_;
  }
  std::vector<std::string> loads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return loads_;
  }
  std::vector<std::string> unloads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return unloads_;
  }
  // Blocks until `count` deferred requests are waiting.
  void WaitForDeferred(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return deferred_.size() >= count; });
  }
  // Answers every deferred request as "echo" would.
  void ReleaseDeferred() {
    std::vector<Deferred> deferred;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      deferred.swap(deferred_);
    }
    for (Deferred& d : deferred) d.done(testing::EchoResponse(d.request));
  }

 private:
  struct Deferred {
    InferRequest request;
    InferCallback done;
  };

  static Status CheckKnown(const std::string& model, const std::string& version) {
    static const char* const kModels[] = {"echo", "deferred", "loading", "unavailable",
                                          "busy", "unimplemented", "broken", "invalid"};
    bool known = false;
    for (const char* name : kModels) known = known || model == name;
    if (!known) return Status::NotFound("unknown model '" + model + "'");
    if (!version.empty() && version != "1" && version != "2") {
      return Status::NotFound("model '" + model + "' has no version " + version);
    }
    return Status::Ok();
  }

  std::atomic<bool> ready_{true};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  InferRequest last_request_;       // guarded by mutex_
  int infer_calls_ = 0;             // guarded by mutex_
  std::vector<std::string> loads_;  // guarded by mutex_
  std::vector<std::string> unloads_;
  std::vector<Deferred> deferred_;  // guarded by mutex_
};

}  // namespace kiln::server::grpc_testing
