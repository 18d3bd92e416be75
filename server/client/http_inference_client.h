// HttpInferenceClient: InferenceClient over KServe v2 HTTP/REST on one
// keep-alive connection (Boost.Beast, blocking), with the binary tensor data
// extension for inputs and outputs. Reconnects once when the server closed
// an idle connection. Not thread-safe: one per thread.
#pragma once

#include <memory>
#include <string>

#include "server/client/inference_client.h"

namespace kiln::server {

class HttpInferenceClient final : public InferenceClient {
 public:
  // Resolves `host` now; connects on first use.
  static Result<std::unique_ptr<HttpInferenceClient>> Create(const std::string& host, const std::string& port);
  ~HttpInferenceClient() override;

  Result<bool> IsServerLive() override;
  Result<ModelMetadata> GetModelMetadata(const std::string& model, const std::string& version) override;
  Result<std::vector<ModelStatisticsSnapshot>> GetModelStatistics(const std::string& model,
                                                                  const std::string& version) override;
  Result<std::vector<ClientTensor>> Infer(const std::string& model, const std::string& version,
                                          const std::vector<ClientTensor>& inputs) override;

 private:
  struct Connection;  // Asio/Beast state, kept out of this header
  struct Reply {
    unsigned status = 0;
    std::string body;
    std::optional<size_t> header_length;  // Inference-Header-Content-Length
  };

  explicit HttpInferenceClient(std::unique_ptr<Connection> connection);
  // Sends one request and reads the reply; retries once on a fresh
  // connection when the kept-alive one turned out closed.
  Result<Reply> Exchange(bool post, const std::string& target, const std::string& body,
                         std::optional<size_t> header_length);
  static std::string ModelPath(const std::string& model, const std::string& version);

  std::unique_ptr<Connection> connection_;
};

}  // namespace kiln::server
