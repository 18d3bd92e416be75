#include "engine/kernels/cpu/fused_activation.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln::cpu {
namespace {

Status ExpectParams(const std::string& name, const std::vector<float>& params, size_t count) {
  if (params.size() == count) return Status::Ok();
  return Status::InvalidArgument("activation " + name + " takes " + std::to_string(count) +
                                 " activation_params, got " + std::to_string(params.size()));
}

}  // namespace

Result<FusedActivation> FusedActivation::FromNode(const ir::Node& node) {
  const std::string name = node.GetString("activation", "");
  const std::vector<float> params = node.GetFloats("activation_params");
  FusedActivation a;
  if (name.empty()) {
    a.kind = Kind::kNone;
    KILN_RETURN_IF_ERROR(ExpectParams("(none)", params, 0));
  } else if (name == "Relu") {
    a.kind = Kind::kRelu;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 0));
  } else if (name == "LeakyRelu") {
    a.kind = Kind::kLeakyRelu;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 1));
    a.alpha = params[0];
  } else if (name == "Clip") {
    a.kind = Kind::kClip;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 2));
    a.alpha = params[0];
    a.beta = params[1];
  } else if (name == "Sigmoid") {
    a.kind = Kind::kSigmoid;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 0));
  } else if (name == "HardSigmoid") {
    a.kind = Kind::kHardSigmoid;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 2));
    a.alpha = params[0];
    a.beta = params[1];
  } else if (name == "HardSwish") {
    a.kind = Kind::kHardSwish;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 0));
  } else if (name == "Tanh") {
    a.kind = Kind::kTanh;
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 0));
  } else if (name == "Gelu") {
    KILN_RETURN_IF_ERROR(ExpectParams(name, params, 0));
    const std::string approximate = node.GetString("approximate", "none");
    if (approximate == "none") {
      a.kind = Kind::kGeluErf;
    } else if (approximate == "tanh") {
      a.kind = Kind::kGeluTanh;
    } else {
      return Status::InvalidArgument("Gelu approximate must be 'none' or 'tanh', got '" + approximate + "'");
    }
  } else {
    return Status::InvalidArgument("unknown fused activation '" + name + "'");
  }
  return a;
}

void FusedActivation::AppendTo(dnnl::post_ops& ops) const {
  using alg = dnnl::algorithm;
  switch (kind) {
    case Kind::kNone: break;
    case Kind::kRelu: ops.append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f); break;
    case Kind::kLeakyRelu: ops.append_eltwise(1.0f, alg::eltwise_relu, alpha, 0.0f); break;
    case Kind::kClip: ops.append_eltwise(1.0f, alg::eltwise_clip, alpha, beta); break;
    case Kind::kSigmoid: ops.append_eltwise(1.0f, alg::eltwise_logistic, 0.0f, 0.0f); break;
    case Kind::kHardSigmoid:
      // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha * x + beta)).
      ops.append_eltwise(1.0f, alg::eltwise_linear, alpha, beta);
      ops.append_eltwise(1.0f, alg::eltwise_clip, 0.0f, 1.0f);
      break;
    case Kind::kHardSwish: ops.append_eltwise(1.0f, alg::eltwise_hardswish, 0.0f, 0.0f); break;
    case Kind::kTanh: ops.append_eltwise(1.0f, alg::eltwise_tanh, 0.0f, 0.0f); break;
    case Kind::kGeluErf: ops.append_eltwise(1.0f, alg::eltwise_gelu_erf, 0.0f, 0.0f); break;
    case Kind::kGeluTanh: ops.append_eltwise(1.0f, alg::eltwise_gelu_tanh, 0.0f, 0.0f); break;
  }
}

void FusedActivation::Apply(float* data, int64_t n) const {
  auto each = [&](auto f) {
    for (int64_t i = 0; i < n; ++i) data[i] = f(data[i]);
  };
  switch (kind) {
    case Kind::kNone: break;
    case Kind::kRelu: each([](float x) { return x > 0.0f ? x : 0.0f; }); break;
    case Kind::kLeakyRelu: each([&](float x) { return x >= 0.0f ? x : alpha * x; }); break;
    case Kind::kClip: each([&](float x) { return std::min(std::max(x, alpha), beta); }); break;
    case Kind::kSigmoid: each([](float x) { return 1.0f / (1.0f + std::exp(-x)); }); break;
    case Kind::kHardSigmoid: each([&](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); }); break;
    case Kind::kHardSwish: each([](float x) { return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f)); }); break;
    case Kind::kTanh: each([](float x) { return std::tanh(x); }); break;
    case Kind::kGeluErf: each([](float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }); break;
    case Kind::kGeluTanh:
      each([](float x) {
        constexpr float kSqrt2OverPi = 0.79788456080286536f;
        return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
      });
      break;
  }
}

}  // namespace kiln::cpu
