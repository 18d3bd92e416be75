// The one place where the HTTP front-end maps a kiln::Status to an HTTP
// error response (see server/core/inference_service.h):
// InvalidArgument → 400, NotFound → 404, Unavailable → 503,
// ResourceExhausted → 429 with "Retry-After: 1", Unimplemented → 501,
// anything else → 500. The body is {"error": "<message>"}. Thread-safe.
#pragma once

#include "engine/core/status.h"
#include "server/http/http_message.h"

namespace kiln::server {

int HttpStatusFor(StatusCode code);
// `status` must not be ok.
HttpResponse ErrorResponse(const Status& status);

}  // namespace kiln::server
