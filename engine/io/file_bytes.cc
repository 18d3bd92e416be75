#include "engine/io/file_bytes.h"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace kiln::io {

Result<std::string> ReadFileBytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::InvalidArgument("'" + path + "' is a folder, not a file");
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::NotFound("cannot open '" + path + "'");
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return Status::InvalidArgument("cannot seek in '" + path + "'");
  long size = std::ftell(file.get());
  if (size < 0) return Status::InvalidArgument("cannot tell the size of '" + path + "'");
  std::rewind(file.get());
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0 && std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    return Status::InvalidArgument("reading '" + path + "' failed");
  }
  return bytes;
}

}  // namespace kiln::io
