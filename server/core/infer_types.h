// The protocol-neutral form of a KServe v2 inference request and response.
//
// The HTTP and gRPC front-ends decode wire messages into InferRequest (tensor
// bytes wrapped with Tensor::Borrow where the wire buffer can be kept alive,
// so nothing is copied on the way to the engine), hand it to
// InferenceService::Infer, and encode the InferResponse they get back.
// Plain values: no thread-safety of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::server {

// A request/response parameter value (KServe v2 parameters: bool, int64 or
// string).
using ParameterValue = std::variant<bool, int64_t, std::string>;
using Parameters = std::map<std::string, ParameterValue>;

// One named input tensor. `tensor` carries dtype and shape as sent; BYTES
// tensors are engine string tensors.
struct InferInput {
  std::string name;
  Tensor tensor;
  Parameters parameters;
};

// An output the client asked for. Without any requested outputs a response
// carries every model output.
struct RequestedOutput {
  std::string name;
  // Classification extension: > 0 returns the top `classification` entries
  // as BYTES "score:index[:label]" instead of the tensor.
  uint32_t classification = 0;
  // Front-end specific flags (e.g. HTTP binary_data) stay in the front-end's
  // own bookkeeping, keyed by name.
  Parameters parameters;
};

struct InferRequest {
  std::string model_name;
  // Empty: the newest ready version; otherwise a positive integer as text.
  std::string model_version;
  std::string id;  // echoed in the response
  std::vector<InferInput> inputs;
  std::vector<RequestedOutput> outputs;
  // Scheduling parameters (KServe "priority" and "timeout", the latter in
  // microseconds). 0 = the model's default.
  uint64_t priority = 0;
  uint64_t timeout_us = 0;
  // Every other request parameter, as sent.
  Parameters parameters;
  // False: the scheduler never runs this request on the thread that submits
  // it (see SchedulerOptions::execute_on_caller). For a front end whose
  // threads each own connections (the HTTP server), where an execution on
  // one of them would stall every connection it owns.
  bool may_run_on_caller = true;
};

struct InferOutput {
  std::string name;
  Tensor tensor;
  Parameters parameters;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;  // the version that actually ran
  std::string id;
  std::vector<InferOutput> outputs;
  Parameters parameters;
};

// Receives the outcome of one request exactly once, possibly on another
// thread. Error codes: InvalidArgument (bad request), NotFound (unknown model
// or version), Unavailable (not ready, draining), ResourceExhausted (queue
// full / queue timeout; see scheduler), Internal.
using InferCallback = std::function<void(Result<InferResponse>)>;

}  // namespace kiln::server
