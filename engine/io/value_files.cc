#include "engine/io/value_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/io/npy.h"

namespace kiln::io {
namespace fs = std::filesystem;

std::string FileSafeName(const std::string& value_name) {
  std::string s = value_name;
  std::replace(s.begin(), s.end(), '/', '_');
  std::replace(s.begin(), s.end(), '\\', '_');
  return s;
}

namespace {

Result<Value> ReadSequenceDir(const fs::path& dir) {
  Sequence seq;
  for (size_t i = 0;; ++i) {
    fs::path item = dir / (std::to_string(i) + ".npy");
    if (!fs::exists(item)) break;
    KILN_ASSIGN_OR_RETURN(Tensor t, ReadNpyFile(item.string()));
    if (!seq.items.empty() && t.dtype() != seq.elem_type) {
      return Status::InvalidArgument("'" + item.string() + "' has data type " + std::string(DataTypeName(t.dtype())) +
                                     " but earlier items of the sequence have " +
                                     std::string(DataTypeName(seq.elem_type)));
    }
    seq.elem_type = t.dtype();
    seq.items.push_back(std::move(t));
  }
  return Value(std::move(seq));
}

}  // namespace

Result<Value> ReadValueFromPath(const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p, ec)) return ReadSequenceDir(p);
  if (!fs::exists(p, ec)) return Status::NotFound("'" + path + "' does not exist");
  if (p.extension() == ".none") return Value::None();
  KILN_ASSIGN_OR_RETURN(Tensor t, ReadNpyFile(path));
  return Value(std::move(t));
}

Result<Value> ReadValueFromDir(const std::string& dir, const std::string& name) {
  const std::string base = FileSafeName(name);
  std::error_code ec;
  for (const char* suffix : {".npy", ".seq", ".none"}) {
    fs::path p = fs::path(dir) / (base + suffix);
    if (fs::exists(p, ec)) return ReadValueFromPath(p.string());
  }
  return Status::NotFound("no file for input '" + name + "' in '" + dir + "' (expected " + base + ".npy, " + base +
                          ".seq/ or " + base + ".none)");
}

Status WriteValueToDir(const std::string& dir, const std::string& name, const Value& value) {
  const std::string base = FileSafeName(name);
  fs::path root(dir);
  std::error_code ec;
  if (value.is_tensor()) return WriteNpyFile((root / (base + ".npy")).string(), value.tensor());
  if (value.is_sequence()) {
    fs::path seq_dir = root / (base + ".seq");
    fs::remove_all(seq_dir, ec);
    fs::create_directories(seq_dir, ec);
    if (ec) return Status::NotFound("cannot create '" + seq_dir.string() + "': " + ec.message());
    const auto& items = value.sequence().items;
    for (size_t i = 0; i < items.size(); ++i) {
      KILN_RETURN_IF_ERROR(WriteNpyFile((seq_dir / (std::to_string(i) + ".npy")).string(), items[i]));
    }
    return Status::Ok();
  }
  std::ofstream out(root / (base + ".none"), std::ios::trunc);
  if (!out) return Status::NotFound("cannot write '" + (root / (base + ".none")).string() + "'");
  return Status::Ok();
}

}  // namespace kiln::io
