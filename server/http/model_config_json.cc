#include "server/http/model_config_json.h"

#include <google/protobuf/util/json_util.h>

#include "server/proto/model_config.pb.h"

namespace kiln::server {

Result<std::string> ModelConfigJson(const inference::ModelConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(config, &json, options);
  if (!status.ok()) return Status::Internal("cannot print the model configuration as JSON: " + status.ToString());
  return json;
}

}  // namespace kiln::server
