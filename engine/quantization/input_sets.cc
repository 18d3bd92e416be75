#include "engine/quantization/input_sets.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "engine/io/value_files.h"

namespace kiln::quantization {
namespace {

namespace fs = std::filesystem;

bool HasDefault(const ir::Model& model, const ir::ValueInfo& info) {
  return model.graph.initializers.count(info.name) > 0 || info.type.kind == ir::TypeInfo::Kind::kOptional;
}

Result<InputSet> LoadOneSet(const std::string& dir, const ir::Model& model) {
  InputSet set;
  for (const ir::ValueInfo* info : model.graph.RuntimeInputs()) {
    auto value = io::ReadValueFromDir(dir, info->name);
    if (!value.ok()) {
      if (value.status().code() == StatusCode::kNotFound && HasDefault(model, *info)) continue;
      return Status::InvalidArgument("input set '" + dir + "': " + value.status().message());
    }
    set[info->name] = std::move(value).value();
  }
  return set;
}

}  // namespace

Result<std::vector<InputSet>> LoadInputSets(const std::string& dir, const ir::Model& model) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument("'" + dir + "' is not a folder of input sets");
  std::vector<std::string> subdirs;
  bool has_files = false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    // A sequence input is a folder named <name>.seq: it belongs to a set.
    if (entry.is_directory() && entry.path().extension() != ".seq") {
      subdirs.push_back(entry.path().string());
    } else {
      has_files = true;
    }
  }
  if (ec) return Status::InvalidArgument("cannot list '" + dir + "': " + ec.message());
  std::vector<InputSet> sets;
  if (subdirs.empty()) {
    if (!has_files) return Status::InvalidArgument("'" + dir + "' holds no input set (.npy files or subfolders of them)");
    KILN_ASSIGN_OR_RETURN(InputSet set, LoadOneSet(dir, model));
    sets.push_back(std::move(set));
    return sets;
  }
  std::sort(subdirs.begin(), subdirs.end());
  for (const std::string& sub : subdirs) {
    KILN_ASSIGN_OR_RETURN(InputSet set, LoadOneSet(sub, model));
    sets.push_back(std::move(set));
  }
  return sets;
}

Result<std::vector<InputSet>> RandomInputSets(const ir::Model& model, int count, uint32_t seed) {
  if (count < 1) return Status::InvalidArgument("the number of random input sets must be at least 1");
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<InputSet> sets(static_cast<size_t>(count));
  for (InputSet& set : sets) {
    for (const ir::ValueInfo* info : model.graph.RuntimeInputs()) {
      if (info->type.kind != ir::TypeInfo::Kind::kTensor) {
        return Status::Unimplemented("input '" + info->name + "' is not a tensor; give calibration data with --calibration");
      }
      DataType dt = info->type.elem_type;
      if (DataTypeSize(dt) == 0) {
        return Status::Unimplemented("input '" + info->name + "' has data type " + std::string(DataTypeName(dt)) +
                                     "; give calibration data with --calibration");
      }
      Shape shape;
      if (info->type.shape) {
        for (const auto& d : *info->type.shape) shape.push_back(d.is_fixed() ? d.value : 1);
      }
      Tensor t = Tensor::Allocate(dt, shape, /*zeroed=*/true);
      if (dt == DataType::kFloat) {
        for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = uniform(rng);
      } else if (dt == DataType::kDouble) {
        for (int64_t i = 0; i < t.num_elements(); ++i) t.data<double>()[i] = uniform(rng);
      }
      set[info->name] = Value(std::move(t));
    }
  }
  return sets;
}

}  // namespace kiln::quantization
