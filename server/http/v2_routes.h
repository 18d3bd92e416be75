// The KServe v2 HTTP/REST API as a route table over an InferenceService:
// health, server and model metadata, model readiness, configuration and
// statistics, inference (JSON and binary tensor data), and the repository
// extension. Handlers only translate between HTTP and the service; errors go
// through ErrorResponse (status_response.h).
//
// Repository load/unload run on `blocking`. The service and the worker must outlive every server built from these routes. The
// handlers are thread-safe; inference is answered from the service's
// callback, never by blocking an I/O thread.
#pragma once

#include <vector>

#include "server/core/inference_service.h"
#include "server/http/blocking_worker.h"
#include "server/http/router.h"

namespace kiln::server {

// GET  /v2/health/live, /v2/health/ready, /v2
// GET  /v2/models/stats (every model)
// GET  /v2/models/{model}[/versions/{version}]            metadata
// GET  /v2/models/{model}[/versions/{version}]/ready      200 / 503
// GET  /v2/models/{model}[/versions/{version}]/config
// GET  /v2/models/{model}[/versions/{version}]/stats
// POST /v2/models/{model}[/versions/{version}]/infer
// POST /v2/repository/index
// POST /v2/repository/models/{model}/load, .../unload
std::vector<Route> MakeV2Routes(InferenceService& service, BlockingWorker& blocking);

}  // namespace kiln::server
