#include "engine/quantization/range_calibrator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "engine/onnx/model_loader.h"
#include "engine/quantization/range_methods.h"
#include "engine/runtime/session.h"
#include "onnx/onnx_pb.h"

namespace kiln::quantization {
namespace {

// The model with every observed tensor as an extra graph output.
Result<std::unique_ptr<Session>> CreateObservingSession(const onnx::ModelProto& model, const std::string& base_dir,
                                                        const std::vector<std::string>& tensors, int threads) {
  onnx::ModelProto observing = model;
  std::set<std::string> outputs;
  for (const auto& out : observing.graph().output()) outputs.insert(out.name());
  for (const std::string& name : tensors) {
    if (outputs.count(name)) continue;
    onnx::ValueInfoProto* out = observing.mutable_graph()->add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  std::string bytes;
  if (!observing.SerializeToString(&bytes)) return Status::Internal("cannot serialize the calibration model");
  onnx_import::LoadOptions load;
  load.run_checker = false;  // the original model was checked already
  KILN_ASSIGN_OR_RETURN(ir::Model ir_model, onnx_import::LoadModelBytes(bytes, base_dir, load));
  SessionOptions session_options;
  session_options.threads = threads;
  return Session::Create(std::move(ir_model), session_options);
}

Status CheckFloat(const std::string& name, const Value& value) {
  if (!value.is_tensor() || value.tensor().dtype() != DataType::kFloat) {
    return Status::Internal("calibration expected '" + name + "' to be a float32 tensor");
  }
  return Status::Ok();
}

}  // namespace

Result<std::map<std::string, TensorRange>> CalibrateRanges(const onnx::ModelProto& model, const std::string& base_dir,
                                                           const std::vector<std::string>& tensors,
                                                           const std::vector<InputSet>& sets,
                                                           const QuantizeOptions& options, int threads,
                                                           const ProgressCallback& progress) {
  if (sets.empty()) return Status::InvalidArgument("calibration needs at least one input set");
  KILN_ASSIGN_OR_RETURN(auto session, CreateObservingSession(model, base_dir, tensors, threads));
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < session->outputs().size(); ++i) position[session->outputs()[i].name] = i;

  const bool histograms = options.method != RangeMethod::kMinMax;
  const int total = static_cast<int>(sets.size()) * (histograms ? 2 : 1);
  int done = 0;

  std::map<std::string, TensorRange> ranges;
  for (const std::string& name : tensors) {
    ranges[name] = {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  }
  for (const InputSet& set : sets) {
    KILN_ASSIGN_OR_RETURN(std::vector<Value> outputs, session->Run(set));
    for (const std::string& name : tensors) {
      const Value& v = outputs[position.at(name)];
      KILN_RETURN_IF_ERROR(CheckFloat(name, v));
      TensorRange& r = ranges[name];
      const float* p = v.tensor().data<float>();
      for (int64_t i = 0; i < v.tensor().num_elements(); ++i) {
        if (!std::isfinite(p[i])) continue;
        r.min = std::min(r.min, p[i]);
        r.max = std::max(r.max, p[i]);
      }
    }
    if (progress) progress(++done, total);
  }
  for (auto& [name, r] : ranges) {
    if (r.min > r.max) r = {0.0f, 0.0f};  // never saw a finite value
  }
  if (!histograms) return ranges;

  std::map<std::string, AbsHistogram> hists;
  for (const auto& [name, r] : ranges) hists.emplace(name, AbsHistogram(std::max(std::fabs(r.min), std::fabs(r.max))));
  for (const InputSet& set : sets) {
    KILN_ASSIGN_OR_RETURN(std::vector<Value> outputs, session->Run(set));
    for (const std::string& name : tensors) {
      const Tensor& t = outputs[position.at(name)].tensor();
      hists.at(name).Add(t.data<float>(), t.num_elements());
    }
    if (progress) progress(++done, total);
  }
  for (auto& [name, r] : ranges) {
    const AbsHistogram& h = hists.at(name);
    if (!(h.limit() > 0)) continue;
    float threshold = options.method == RangeMethod::kPercentile ? PercentileThreshold(h, options.percentile)
                                                                 : EntropyThreshold(h);
    r.min = std::max(r.min, -threshold);
    r.max = std::min(r.max, threshold);
  }
  return ranges;
}

}  // namespace kiln::quantization
