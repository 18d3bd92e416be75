#include "server/repository/repository_scanner.h"

#include <charconv>
#include <filesystem>
#include <system_error>

#include "engine/io/file_bytes.h"
#include "server/repository/config_loader.h"
#include "server/repository/model_name.h"

namespace kiln::server {
namespace fs = std::filesystem;

std::optional<int64_t> ParseVersionFolder(std::string_view name) {
  if (name.empty() || name.size() > 18 || name.front() == '0') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc() || end != name.data() + name.size() || value <= 0) return std::nullopt;
  return value;
}

namespace {

Status CheckRepository(const std::string& repository) {
  std::error_code ec;
  if (!fs::is_directory(repository, ec)) {
    return Status::NotFound("model repository '" + repository + "' does not exist or is not a folder");
  }
  return Status::Ok();
}

ModelSource ReadModelFolder(const fs::path& dir) {
  ModelSource source;
  source.name = dir.filename().string();
  source.dir = dir.string();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_directory(type_ec)) continue;
    if (auto v = ParseVersionFolder(entry.path().filename().string())) source.versions.insert(*v);
  }
  return source;
}

}  // namespace

Result<RepositoryScan> ScanRepositories(const std::vector<std::string>& repositories) {
  RepositoryScan scan;
  std::map<std::string, std::string> first_repository;
  for (const auto& repository : repositories) {
    KILN_RETURN_IF_ERROR(CheckRepository(repository));
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(repository, ec)) {
      std::error_code type_ec;
      if (!entry.is_directory(type_ec)) continue;
      const std::string name = entry.path().filename().string();
      if (!ValidateModelName(name).ok()) continue;  // hidden folders and the like
      auto [it, inserted] = first_repository.emplace(name, repository);
      if (!inserted) {
        scan.errors[name] = "model '" + name + "' appears in more than one model repository ('" + it->second +
                            "' and '" + repository + "')";
        scan.models.erase(name);
        continue;
      }
      if (!scan.errors.count(name)) scan.models[name] = ReadModelFolder(entry.path());
    }
    if (ec) return Status::NotFound("cannot list model repository '" + repository + "': " + ec.message());
  }
  return scan;
}

Result<ModelSource> FindModel(const std::vector<std::string>& repositories, const std::string& name) {
  KILN_RETURN_IF_ERROR(ValidateModelName(name));
  std::optional<ModelSource> found;
  for (const auto& repository : repositories) {
    KILN_RETURN_IF_ERROR(CheckRepository(repository));
    const fs::path dir = fs::path(repository) / name;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    if (found) {
      return Status::InvalidArgument("model '" + name + "' appears in more than one model repository ('" +
                                     fs::path(found->dir).parent_path().string() + "' and '" + repository + "')");
    }
    found = ReadModelFolder(dir);
  }
  if (!found) return Status::NotFound("model '" + name + "' is not in any model repository");
  return *found;
}

std::string ModelFilePath(const ModelSource& source, int64_t version, const std::string& file_name) {
  return (fs::path(source.dir) / std::to_string(version) / (file_name.empty() ? "model.onnx" : file_name)).string();
}

std::string VersionFingerprint(const ModelSource& source, int64_t version, const std::string& file_name) {
  std::string print;
  auto config = io::ReadFileBytes((fs::path(source.dir) / kConfigFileName).string());
  print += config.ok() ? *config : std::string("<no config>");
  const std::string model_path = ModelFilePath(source, version, file_name);
  std::error_code ec;
  const auto size = fs::file_size(model_path, ec);
  print += "|size=" + (ec ? std::string("?") : std::to_string(size));
  const auto mtime = fs::last_write_time(model_path, ec);
  print += "|mtime=" + (ec ? std::string("?") : std::to_string(mtime.time_since_epoch().count()));
  return print;
}

}  // namespace kiln::server
