#include "server/http/status_response.h"

namespace kiln::server {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse response = HttpResponse::Error(HttpStatusFor(status.code()), status.message());
  if (status.code() == StatusCode::kResourceExhausted) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace kiln::server
