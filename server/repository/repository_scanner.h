// Finds models in one or more model repositories laid out as Triton's:
// <repository>/<model>/config.pbtxt (optional) and
// <repository>/<model>/<version>/model.onnx, a version being a folder named by
// a positive integer. Read-only file-system queries; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace kiln::server {

// One model folder.
struct ModelSource {
  std::string name;
  std::string dir;             // <repository>/<model>
  std::set<int64_t> versions;  // version folders present
};

struct RepositoryScan {
  std::map<std::string, ModelSource> models;
  // Models that cannot be served as found (e.g. the same name in two
  // repositories), with the reason.
  std::map<std::string, std::string> errors;
};

// A canonical positive integer ("1", "42"; not "0", "01", "-1", "1a").
std::optional<int64_t> ParseVersionFolder(std::string_view name);

// Every model folder of every repository. NotFound when a repository is
// missing or not a folder. Hidden entries and plain files are skipped.
Result<RepositoryScan> ScanRepositories(const std::vector<std::string>& repositories);

// One model by name (validated first: no path tricks). NotFound when no
// repository has it; InvalidArgument when more than one does.
Result<ModelSource> FindModel(const std::vector<std::string>& repositories, const std::string& name);

// <model dir>/<version>/<file name>; `file_name` empty = "model.onnx".
std::string ModelFilePath(const ModelSource& source, int64_t version, const std::string& file_name);

// Changes whenever the config file or the version's model file changes
// (content of config.pbtxt, size and modification time of the model file);
// the poller reloads a version whose fingerprint moved.
std::string VersionFingerprint(const ModelSource& source, int64_t version, const std::string& file_name);

}  // namespace kiln::server
