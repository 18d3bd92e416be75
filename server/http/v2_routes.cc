#include "server/http/v2_routes.h"

#include "server/http/infer_request_decoder.h"
#include "server/http/infer_response_encoder.h"
#include "server/http/model_config_json.h"
#include "server/http/status_response.h"
#include "server/http/v2_documents.h"

namespace kiln::server {
namespace {

// The version from the URL: empty (newest) or a positive integer.
Status CheckVersion(const std::string& version) {
  if (version.empty()) return Status::Ok();
  const bool digits = version.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || version.size() > 18 || std::stoll(version) <= 0) {
    return Status::InvalidArgument("model version '" + version + "' is not a positive integer");
  }
  return Status::Ok();
}

// Wraps a handler of (model, version) routes: checks the version first.
RouteHandler ForModel(std::function<void(const std::string& model, const std::string& version, HttpRequest&,
                                         Responder&)> handler) {
  return [handler = std::move(handler)](HttpRequest request, Responder respond) {
    const std::string model = request.Param("model");
    const std::string version = request.Param("version");
    if (Status status = CheckVersion(version); !status.ok()) return respond(ErrorResponse(status));
    handler(model, version, request, respond);
  };
}

void AddModelRoutes(std::vector<Route>& routes, const std::string& method, const std::string& suffix,
                    const RouteHandler& handler) {
  routes.push_back({method, "/v2/models/{model}" + suffix, handler});
  routes.push_back({method, "/v2/models/{model}/versions/{version}" + suffix, handler});
}

void Infer(InferenceService& service, const std::string& model, const std::string& version, HttpRequest& request,
           Responder& respond) {
  if (auto encoding = request.Header("content-encoding"); encoding && *encoding != "identity") {
    return respond(HttpResponse::Error(415, "Content-Encoding '" + std::string(*encoding) +
                                                "' is not supported; send the request uncompressed"));
  }
  Result<DecodedInferRequest> decoded =
      DecodeInferRequest(request.body, request.Header("inference-header-content-length"), model, version);
  if (!decoded.ok()) return respond(ErrorResponse(decoded.status()));
  // Each I/O thread owns its connections (async_http_server.h): an execution
  // here would stall all of them, so the model's own threads run it.
  decoded->request.may_run_on_caller = false;
  // The result is encoded on the connection's I/O thread (Responder::Later),
  // not on the thread that completes the request.
  service.Infer(std::move(decoded->request),
                [format = std::move(decoded->output_format), respond](Result<InferResponse> result) {
                  if (!result.ok()) return respond(ErrorResponse(result.status()));
                  auto response = std::make_shared<InferResponse>(std::move(*result));
                  respond.Later([format, response]() -> HttpResponse {
                    Result<EncodedInferResponse> encoded = EncodeInferResponse(*response, format);
                    if (!encoded.ok()) return ErrorResponse(encoded.status());
                    HttpResponse http = HttpResponse::Json(200, std::move(encoded->body));
                    if (encoded->json_size) {
                      http.content_type = "application/octet-stream";
                      http.headers.emplace_back("Inference-Header-Content-Length", std::to_string(*encoded->json_size));
                    }
                    return http;
                  });
                });
}

}  // namespace

std::vector<Route> MakeV2Routes(InferenceService& service, BlockingWorker& blocking) {
  InferenceService* s = &service;
  std::vector<Route> routes;
  routes.push_back({"GET", "/v2/health/live", [s](HttpRequest, Responder respond) {
                      respond(HttpResponse::Empty(s->IsLive() ? 200 : 503));
                    }});
  routes.push_back({"GET", "/v2/health/ready", [s](HttpRequest, Responder respond) {
                      respond(HttpResponse::Empty(s->IsReady() ? 200 : 503));
                    }});
  routes.push_back({"GET", "/v2", [s](HttpRequest, Responder respond) {
                      respond(HttpResponse::Json(200, ServerMetadataJson(s->GetServerMetadata())));
                    }});
  // Listed before /v2/models/{model} so that "stats" is not taken for a model name.
  routes.push_back({"GET", "/v2/models/stats", [s](HttpRequest, Responder respond) {
                      auto stats = s->GetModelStatistics("", "");
                      if (!stats.ok()) return respond(ErrorResponse(stats.status()));
                      respond(HttpResponse::Json(200, ModelStatisticsJson(*stats)));
                    }});
  AddModelRoutes(routes, "GET", "",
                 ForModel([s](const std::string& model, const std::string& version, HttpRequest&, Responder& respond) {
                   auto metadata = s->GetModelMetadata(model, version);
                   if (!metadata.ok()) return respond(ErrorResponse(metadata.status()));
                   respond(HttpResponse::Json(200, ModelMetadataJson(*metadata)));
                 }));
  AddModelRoutes(routes, "GET", "/ready",
                 ForModel([s](const std::string& model, const std::string& version, HttpRequest&, Responder& respond) {
                   auto ready = s->IsModelReady(model, version);
                   if (!ready.ok()) return respond(ErrorResponse(ready.status()));
                   respond(HttpResponse::Empty(*ready ? 200 : 503));
                 }));
  AddModelRoutes(routes, "GET", "/config",
                 ForModel([s](const std::string& model, const std::string& version, HttpRequest&, Responder& respond) {
                   auto config = s->GetModelConfig(model, version);
                   if (!config.ok()) return respond(ErrorResponse(config.status()));
                   if (*config == nullptr) {
                     return respond(ErrorResponse(Status::Internal("model '" + model + "' has no configuration")));
                   }
                   auto json = ModelConfigJson(**config);
                   if (!json.ok()) return respond(ErrorResponse(json.status()));
                   respond(HttpResponse::Json(200, std::move(*json)));
                 }));
  AddModelRoutes(routes, "GET", "/stats",
                 ForModel([s](const std::string& model, const std::string& version, HttpRequest&, Responder& respond) {
                   auto stats = s->GetModelStatistics(model, version);
                   if (!stats.ok()) return respond(ErrorResponse(stats.status()));
                   respond(HttpResponse::Json(200, ModelStatisticsJson(*stats)));
                 }));
  AddModelRoutes(routes, "POST", "/infer",
                 ForModel([s](const std::string& model, const std::string& version, HttpRequest& request,
                              Responder& respond) { Infer(*s, model, version, request, respond); }));
  routes.push_back({"POST", "/v2/repository/index", [s](HttpRequest request, Responder respond) {
                      auto ready_only = ParseRepositoryIndexRequest(request.body->view());
                      if (!ready_only.ok()) return respond(ErrorResponse(ready_only.status()));
                      respond(HttpResponse::Json(200, RepositoryIndexJson(s->GetRepositoryIndex(*ready_only))));
                    }});
  // Loading and unloading block (reading a model, warming it up, waiting for
  // requests in flight): they run on `blocking`, never on an I/O thread.
  BlockingWorker* worker = &blocking;
  routes.push_back({"POST", "/v2/repository/models/{model}/load", [s, worker](HttpRequest request, Responder respond) {
                      auto options = ParseLoadModelRequest(request.body->view());
                      if (!options.ok()) return respond(ErrorResponse(options.status()));
                      worker->Post([s, model = request.Param("model"), options = std::move(*options), respond] {
                        Status status = s->LoadModel(model, options);
                        respond(status.ok() ? HttpResponse::Empty(200) : ErrorResponse(status));
                      });
                    }});
  routes.push_back({"POST", "/v2/repository/models/{model}/unload", [s, worker](HttpRequest request,
                                                                               Responder respond) {
                      Status status = ParseUnloadModelRequest(request.body->view());
                      if (!status.ok()) return respond(ErrorResponse(status));
                      worker->Post([s, model = request.Param("model"), respond] {
                        Status unloaded = s->UnloadModel(model);
                        respond(unloaded.ok() ? HttpResponse::Empty(200) : ErrorResponse(unloaded));
                      });
                    }});
  return routes;
}

}  // namespace kiln::server
