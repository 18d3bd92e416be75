#include "server/repository/config_loader.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <system_error>

#include "engine/io/file_bytes.h"

namespace kiln::server {
namespace {

// Keeps the first parse error with its (1-based) position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(std::string source) : source_(std::move(source)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!first_.empty()) return;
    first_ = source_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  const std::string& first() const { return first_; }

 private:
  std::string source_;
  std::string first_;
};

}  // namespace

Result<inference::ModelConfig> ParseModelConfigText(std::string_view text, const std::string& source) {
  inference::ModelConfig config;
  FirstErrorCollector errors(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return Status::InvalidArgument(errors.first().empty() ? source + ": malformed model configuration"
                                                          : errors.first());
  }
  return config;
}

Result<inference::ModelConfig> ParseModelConfigJson(std::string_view json) {
  inference::ModelConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &config, options);
  if (!status.ok()) {
    return Status::InvalidArgument("model configuration JSON: " + std::string(status.message()));
  }
  return config;
}

Result<inference::ModelConfig> LoadModelConfigFile(const std::string& model_dir) {
  const std::string path = (std::filesystem::path(model_dir) / kConfigFileName).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return inference::ModelConfig();
  KILN_ASSIGN_OR_RETURN(std::string text, io::ReadFileBytes(path));
  return ParseModelConfigText(text, path);
}

}  // namespace kiln::server
