#include "server/core/model_version.h"

#include <filesystem>
#include <system_error>

#include "server/core/classification.h"
#include "server/core/model_warmup.h"
#include "server/core/request_validator.h"
#include "server/repository/auto_complete.h"
#include "server/repository/config_validator.h"
#include "server/repository/model_signature.h"

namespace kiln::server {
namespace {

uint64_t NsSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

QueuePolicy QueuePolicyFrom(const inference::ModelQueuePolicy& p) {
  QueuePolicy q;
  q.timeout_action = p.timeout_action() == inference::ModelQueuePolicy::DELAY ? QueuePolicy::TimeoutAction::kDelay
                                                                               : QueuePolicy::TimeoutAction::kReject;
  q.default_timeout_us = p.default_timeout_microseconds();
  q.allow_timeout_override = p.allow_timeout_override();
  q.max_queue_size = p.max_queue_size();
  return q;
}

}  // namespace

int InstanceCount(const inference::ModelConfig& config) {
  int total = 0;
  for (const auto& group : config.instance_group()) total += std::max(1, group.count());
  return std::max(1, total);
}

SchedulerOptions SchedulerOptionsFor(const inference::ModelConfig& config, const std::string& version) {
  SchedulerOptions options;
  options.model_name = config.name();
  options.model_version = version;
  options.max_batch_size = config.max_batch_size();
  if (config.has_dynamic_batching()) {
    const auto& db = config.dynamic_batching();
    DynamicBatchingOptions d;
    d.preferred_batch_sizes.assign(db.preferred_batch_size().begin(), db.preferred_batch_size().end());
    d.max_queue_delay_us = db.max_queue_delay_microseconds();
    d.preserve_ordering = db.preserve_ordering();
    d.priority_levels = db.priority_levels();
    d.default_priority_level = db.default_priority_level();
    d.default_queue_policy = QueuePolicyFrom(db.default_queue_policy());
    for (const auto& [level, policy] : db.priority_queue_policy()) d.priority_queue_policy[level] = QueuePolicyFrom(policy);
    options.dynamic_batching = std::move(d);
  }
  return options;
}

Result<std::unique_ptr<ModelVersion>> ModelVersion::Load(const ModelVersionSpec& spec) {
  const std::string version = std::to_string(spec.version);
  const std::string path = ModelFilePath(spec.source, spec.version, spec.config.default_model_filename());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("version " + version + ": model file '" + path + "' does not exist");
  }
  SessionOptions session_options;
  session_options.threads = std::max(1, spec.threads_per_instance);
  if (spec.batch_size_warmup) {
    session_options.max_memory_plans = MemoryPlansFor(spec.config, session_options.max_memory_plans);
  }
  auto first = Session::Create(path, session_options);
  if (!first.ok()) return first.status().WithContext("version " + version + ": " + path);

  auto config = std::make_shared<inference::ModelConfig>(spec.config);
  const ModelSignature signature = SignatureOf(**first);
  KILN_RETURN_IF_ERROR(AutoCompleteConfig(spec.source.name, signature, config.get()));
  KILN_RETURN_IF_ERROR(ValidateModelConfig(spec.source.name, spec.source.dir, signature, *config));

  std::vector<std::shared_ptr<const Session>> instances;
  instances.push_back(std::shared_ptr<const Session>(std::move(*first)));
  const int count = InstanceCount(*config);
  for (int i = 1; i < count; ++i) {
    auto session = Session::Create(path, session_options);
    if (!session.ok()) return session.status().WithContext("version " + version + ": instance " + std::to_string(i));
    instances.push_back(std::shared_ptr<const Session>(std::move(*session)));
  }

  auto shared = std::make_shared<Shared>();
  shared->name = spec.source.name;
  shared->version = version;
  for (const auto& output : config->output()) {
    if (output.label_filename().empty()) continue;
    auto labels = ReadLabelFile((std::filesystem::path(spec.source.dir) / output.label_filename()).string());
    if (!labels.ok()) return labels.status().WithContext("output '" + output.name() + "': label_filename");
    shared->labels[output.name()] = std::move(*labels);
  }
  KILN_RETURN_IF_ERROR(RunModelWarmup(*config, spec.source.dir, instances));
  BatchSizeWarmup batch_size_warmup;
  const auto warmup_start = std::chrono::steady_clock::now();
  if (spec.batch_size_warmup) {
    KILN_ASSIGN_OR_RETURN(batch_size_warmup, WarmBatchSizes(*config, spec.source.dir, instances));
  }
  const auto warmup_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - warmup_start);
  shared->stats = std::make_shared<ModelStatistics>(spec.source.name, version);
  shared->config = config;

  std::unique_ptr<ModelVersion> loaded(new ModelVersion(shared, spec.version, instances));
  loaded->batch_size_warmup_ = std::move(batch_size_warmup);
  loaded->batch_size_warmup_time_ = warmup_time;
  KILN_ASSIGN_OR_RETURN(loaded->scheduler_,
                        spec.scheduler_factory(SchedulerOptionsFor(*config, version), instances, shared->stats));
  return loaded;
}

ModelVersion::~ModelVersion() { Drain(); }

void ModelVersion::Drain() {
  if (scheduler_) scheduler_->Drain();
}

void ModelVersion::Infer(InferRequest request, std::chrono::steady_clock::time_point arrival, InferCallback done) {
  auto prepared = PrepareRequest(*shared_->config, request);
  if (!prepared.ok()) {
    shared_->stats->RecordFailure(NsSince(arrival));
    done(prepared.status());
    return;
  }
  auto scheduled = std::make_unique<ScheduledRequest>();
  scheduled->inputs = std::move(prepared->feeds);
  scheduled->priority = request.priority;
  scheduled->timeout_us = request.timeout_us;
  scheduled->may_run_on_caller = request.may_run_on_caller;
  scheduled->arrival = arrival;
  scheduled->done = [shared = shared_, outputs = std::move(prepared->outputs), id = std::move(request.id),
                     done = std::move(done)](Result<std::map<std::string, Tensor>> result,
                                                      const RequestTimings&) {
    if (!result.ok()) {
      done(result.status());  // the scheduler has counted it (failure or rejection)
      return;
    }
    InferResponse response;
    response.model_name = shared->name;
    response.model_version = shared->version;
    response.id = id;
    static const std::vector<std::string> kNoLabels;
    for (const auto& requested : outputs) {
      auto it = result->find(requested.name);
      if (it == result->end()) {
        done(Status::Internal("the model did not produce output '" + requested.name + "'"));
        return;
      }
      auto labels = shared->labels.find(requested.name);
      auto output = BuildOutput(*shared->config, requested, it->second,
                                labels == shared->labels.end() ? kNoLabels : labels->second);
      if (!output.ok()) {
        done(output.status());
        return;
      }
      response.outputs.push_back(std::move(*output));
    }
    done(std::move(response));
  };
  scheduler_->Enqueue(std::move(scheduled));
}

}  // namespace kiln::server
