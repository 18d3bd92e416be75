#include "server/core/model_warmup.h"

#include <cstring>
#include <filesystem>
#include <random>

#include "engine/io/file_bytes.h"
#include "server/core/tensor_reshape.h"
#include "server/repository/config_data_type.h"

namespace kiln::server {
namespace {

Status FillFromFile(const std::string& path, Tensor* tensor) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, io::ReadFileBytes(path));
  if (tensor->dtype() == DataType::kString) {
    std::string* dst = tensor->data<std::string>();
    size_t pos = 0;
    for (int64_t i = 0; i < tensor->num_elements(); ++i) {
      uint32_t len = 0;
      if (pos + 4 > bytes.size()) return Status::InvalidArgument("'" + path + "' holds too few strings");
      std::memcpy(&len, bytes.data() + pos, 4);
      pos += 4;
      if (pos + len > bytes.size()) return Status::InvalidArgument("'" + path + "' ends inside a string");
      dst[i] = bytes.substr(pos, len);
      pos += len;
    }
    return Status::Ok();
  }
  if (bytes.size() != tensor->byte_size()) {
    return Status::InvalidArgument("'" + path + "' holds " + std::to_string(bytes.size()) + " bytes, the input needs " +
                                   std::to_string(tensor->byte_size()));
  }
  std::memcpy(tensor->raw_data(), bytes.data(), bytes.size());
  return Status::Ok();
}

void FillRandom(Tensor* tensor, std::mt19937& rng) {
  if (tensor->dtype() == DataType::kFloat) {
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    float* p = tensor->data<float>();
    for (int64_t i = 0; i < tensor->num_elements(); ++i) p[i] = dist(rng);
  } else if (tensor->dtype() == DataType::kInt32) {
    std::uniform_int_distribution<int32_t> dist(0, 100);
    int32_t* p = tensor->data<int32_t>();
    for (int64_t i = 0; i < tensor->num_elements(); ++i) p[i] = dist(rng);
  }  // other types stay zero, as Triton falls back to zero data where random makes no sense
}

}  // namespace

Result<std::map<std::string, Value>> WarmupFeeds(const inference::ModelConfig& config, const std::string& model_dir,
                                                 const inference::ModelWarmup& sample, uint32_t batch_size,
                                                 std::mt19937& rng) {
  const bool batched = config.max_batch_size() > 0;
  const std::string label = "model_warmup '" + sample.name() + "'";
  std::map<std::string, Value> feeds;
  for (const auto& spec : config.input()) {
    auto it = sample.inputs().find(spec.name());
    if (it == sample.inputs().end()) {
      if (spec.optional()) continue;
      return Status::InvalidArgument(label + ": no data for input '" + spec.name() + "'");
    }
    const auto& in = it->second;
    if (in.data_type() != spec.data_type()) {
      return Status::InvalidArgument(label + ": input '" + spec.name() + "' data_type " +
                                     ConfigDataTypeName(in.data_type()) + " does not match the configured " +
                                     ConfigDataTypeName(spec.data_type()));
    }
    Shape shape;
    if (batched) shape.push_back(batch_size);
    const auto& dims = in.dims_size() > 0 ? in.dims() : spec.dims();
    for (int64_t d : dims) {
      if (d < 0) return Status::InvalidArgument(label + ": input '" + spec.name() + "' needs fixed dims");
      shape.push_back(d);
    }
    Tensor tensor = Tensor::Allocate(*EngineDataType(spec.data_type()), shape, /*zeroed=*/true);
    if (in.input_data_type_case() == inference::ModelWarmup::Input::kRandomData) {
      FillRandom(&tensor, rng);
    } else if (in.input_data_type_case() == inference::ModelWarmup::Input::kInputDataFile) {
      const auto path = std::filesystem::path(model_dir) / "warmup" / in.input_data_file();
      Status s = FillFromFile(path.string(), &tensor);
      if (!s.ok()) return s.WithContext(label);
    }
    if (spec.has_reshape()) {
      Shape model_shape = MapShape(shape, spec.dims(), spec.reshape().shape(), batched ? 1 : 0);
      if (NumElements(model_shape) != tensor.num_elements()) {
        return Status::InvalidArgument(label + ": input '" + spec.name() + "' does not fit its reshape");
      }
      tensor = tensor.Reshape(model_shape);
    }
    feeds[spec.name()] = std::move(tensor);
  }
  return feeds;
}

Status RunModelWarmup(const inference::ModelConfig& config, const std::string& model_dir,
                      const std::vector<std::shared_ptr<const Session>>& instances) {
  std::mt19937 rng(42);
  for (const auto& sample : config.model_warmup()) {
    KILN_ASSIGN_OR_RETURN(auto feeds, WarmupFeeds(config, model_dir, sample, sample.batch_size(), rng));
    const uint32_t runs = std::max<uint32_t>(1, sample.count());
    for (const auto& session : instances) {
      for (uint32_t i = 0; i < runs; ++i) {
        auto result = session->Run(feeds);
        if (!result.ok()) return result.status().WithContext("model_warmup '" + sample.name() + "'");
      }
    }
  }
  return Status::Ok();
}

}  // namespace kiln::server
