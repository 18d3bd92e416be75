// JSON documents of the KServe v2 HTTP API other than inference: server and
// model metadata, the repository index, the statistics extension, and the
// repository extension's request bodies. Stateless: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "server/core/inference_service.h"
#include "server/core/model_statistics.h"

namespace kiln::server {

// {"name", "version", "extensions": [...]}
std::string ServerMetadataJson(const ServerMetadata& metadata);
// {"name", "versions", "platform", "inputs": [{"name","datatype","shape"}], "outputs": [...]}
std::string ModelMetadataJson(const ModelMetadata& metadata);
// [{"name", "version", "state", "reason"}] (version and reason only when set)
std::string RepositoryIndexJson(const std::vector<RepositoryIndexEntry>& entries);
// Triton's statistics extension: {"model_stats": [{"name", "version",
// "last_inference", "inference_count", "execution_count", "inference_stats":
// {"success", "fail", "queue", "compute_input", "compute_infer",
// "compute_output", "cache_hit", "cache_miss": {"count", "ns"}},
// "batch_stats": [{"batch_size", "compute_input", "compute_infer",
// "compute_output"}]}]}. Kiln has no response cache: cache_* are zero.
std::string ModelStatisticsJson(const std::vector<ModelStatisticsSnapshot>& stats);

// POST /v2/repository/index body: {"ready": bool}, both optional (an empty
// body means every model). Returns ready_only.
Result<bool> ParseRepositoryIndexRequest(std::string_view body);
// POST .../load body: {"parameters": {"config": "<model config JSON>"}}, all
// optional. Other parameters (Triton's file overrides) are Unimplemented.
Result<LoadModelOptions> ParseLoadModelRequest(std::string_view body);
// POST .../unload body: {"parameters": {"unload_dependents": bool}}, all
// optional; checked for well-formedness only.
Status ParseUnloadModelRequest(std::string_view body);

}  // namespace kiln::server
