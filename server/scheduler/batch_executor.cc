#include "server/scheduler/batch_executor.h"

#include <chrono>

namespace kiln::server {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t NsBetween(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

}  // namespace

BatchOutcome ExecuteBatch(const Session& session, const std::vector<QueuedRequest>& batch) {
  BatchOutcome outcome;
  auto fail = [&](const Status& status) {
    outcome.results.assign(batch.size(), Result<TensorMap>(status));
    return outcome;
  };

  const Clock::time_point start = Clock::now();
  std::vector<int64_t> batch_sizes;
  batch_sizes.reserve(batch.size());
  for (const QueuedRequest& queued : batch) batch_sizes.push_back(queued.batch_size);
  std::map<std::string, Value> feeds;
  if (batch.size() == 1) {
    // Alone (the usual case at low load): its inputs are the feeds, no merged copy.
    for (const auto& [name, tensor] : batch.front().request->inputs) feeds.emplace(name, Value(tensor));
  } else {
    std::vector<const TensorMap*> parts;
    parts.reserve(batch.size());
    for (const QueuedRequest& queued : batch) parts.push_back(&queued.request->inputs);
    Result<TensorMap> merged = MergeInputs(parts);
    if (!merged.ok()) return fail(merged.status());
    for (auto& [name, tensor] : *merged) feeds.emplace(name, Value(std::move(tensor)));
  }
  const Clock::time_point inputs_ready = Clock::now();
  outcome.compute_input_ns = NsBetween(start, inputs_ready);

  Result<std::vector<Value>> values = session.Run(feeds);
  const Clock::time_point inferred = Clock::now();
  outcome.compute_infer_ns = NsBetween(inputs_ready, inferred);
  if (!values.ok()) return fail(values.status());

  TensorMap outputs;
  const auto& infos = session.outputs();
  for (size_t i = 0; i < infos.size() && i < values->size(); ++i) {
    Value& value = (*values)[i];
    if (!value.is_tensor()) {
      return fail(Status::Unimplemented("output '" + infos[i].name + "' is " + value.Describe() +
                                        "; only tensor outputs can be served"));
    }
    outputs.emplace(infos[i].name, std::move(value.tensor()));
  }
  if (batch.size() == 1) {
    outcome.results.emplace_back(std::move(outputs));  // nothing to split
  } else {
    Result<std::vector<TensorMap>> pieces = SplitOutputs(outputs, batch_sizes);
    if (!pieces.ok()) return fail(pieces.status());
    outcome.results.reserve(batch.size());
    for (TensorMap& piece : *pieces) outcome.results.emplace_back(std::move(piece));
  }
  outcome.compute_output_ns = NsBetween(inferred, Clock::now());
  return outcome;
}

}  // namespace kiln::server
