// A private memory mapping of a whole file (RAII). Used to parse large
// models straight from the page cache instead of copying them into memory,
// and to let initializer tensors borrow their data from it (model_loader).
// Writes through data() stay private to the process (copy on write).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "engine/core/status.h"

namespace kiln::io {

class MappedFile {
 public:
  // NotFound when the file cannot be opened; InvalidArgument for a folder.
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return static_cast<const char*>(data_); }
  size_t size() const { return size_; }

 private:
  MappedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_;
  size_t size_;
};

}  // namespace kiln::io
