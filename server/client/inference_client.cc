#include "server/client/inference_client.h"

#include "server/client/grpc_inference_client.h"
#include "server/client/http_inference_client.h"

namespace kiln::server {

Result<std::pair<std::string, std::string>> SplitHostPort(const std::string& url, const std::string& default_port) {
  std::string rest = url;
  for (const char* scheme : {"http://", "grpc://"}) {
    if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::string(scheme).size());
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return Status::InvalidArgument("URL '" + url + "' names no host");
  if (rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("URL '" + url + "' has a path; give host:port only");
  }
  std::string host = rest;
  std::string port = default_port;
  std::string after_host;
  if (rest.front() == '[') {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("URL '" + url + "' has an unclosed '['");
    host = rest.substr(1, close - 1);
    after_host = rest.substr(close + 1);
  } else {
    const size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) after_host = rest.substr(colon);
  }
  if (!after_host.empty()) {
    if (after_host.front() != ':') return Status::InvalidArgument("URL '" + url + "' is not host:port");
    port = after_host.substr(1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("URL '" + url + "' is not host:port");
  }
  return std::make_pair(host, port);
}

Result<std::unique_ptr<InferenceClient>> InferenceClient::Create(ClientProtocol protocol, const std::string& url) {
  if (protocol == ClientProtocol::kHttp) {
    KILN_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(url, "8000"));
    KILN_ASSIGN_OR_RETURN(auto client, HttpInferenceClient::Create(host_port.first, host_port.second));
    return std::unique_ptr<InferenceClient>(std::move(client));
  }
  if (url.rfind("http://", 0) == 0) return Status::InvalidArgument("gRPC URL '" + url + "' must be host:port");
  KILN_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(url, "8001"));
  KILN_ASSIGN_OR_RETURN(auto client, GrpcInferenceClient::Create(host_port.first, host_port.second));
  return std::unique_ptr<InferenceClient>(std::move(client));
}

}  // namespace kiln::server
