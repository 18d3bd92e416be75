#include "engine/io/npy.h"

#include "engine/io/file_bytes.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace kiln::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

struct Descr {
  DataType dtype = DataType::kUndefined;
  int64_t unicode_chars = 0;  // for '<U<n>'
};

Result<Descr> ParseDescr(const std::string& d, const std::string& label) {
  if (d.size() < 2) return Status::InvalidArgument(label + ": bad dtype descr '" + d + "'");
  char order = d[0];
  std::string code = d.substr(1);
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    return Status::InvalidArgument(label + ": big-endian data ('" + d + "') is not supported; save it little-endian");
  }
  if (order != '<' && order != '|' && order != '=' && order != '>') {
    return Status::InvalidArgument(label + ": bad dtype descr '" + d + "'");
  }
  Descr out;
  static const std::pair<const char*, DataType> kCodes[] = {
      {"f4", DataType::kFloat},  {"f8", DataType::kDouble}, {"f2", DataType::kFloat16},
      {"i1", DataType::kInt8},   {"i2", DataType::kInt16},  {"i4", DataType::kInt32},
      {"i8", DataType::kInt64},  {"u1", DataType::kUInt8},  {"u2", DataType::kUInt16},
      {"u4", DataType::kUInt32}, {"u8", DataType::kUInt64}, {"b1", DataType::kBool},
      {"V2", DataType::kBFloat16}};
  for (const auto& [c, dt] : kCodes) {
    if (code == c) {
      out.dtype = dt;
      return out;
    }
  }
  if (code.size() > 1 && code[0] == 'U') {
    out.dtype = DataType::kString;
    try {
      out.unicode_chars = std::stoll(code.substr(1));
    } catch (...) {
      return Status::InvalidArgument(label + ": bad unicode dtype '" + d + "'");
    }
    return out;
  }
  return Status::InvalidArgument(label + ": unsupported dtype '" + d +
                                 "' (use float16/32/64, int8-64, uint8-64, bool or unicode strings)");
}

// Finds the value text after 'key': in the header dict.
bool FindKey(const std::string& header, const std::string& key, std::string* value_start) {
  size_t p = header.find("'" + key + "'");
  if (p == std::string::npos) return false;
  p = header.find(':', p);
  if (p == std::string::npos) return false;
  *value_start = header.substr(p + 1);
  return true;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::u32string DecodeUtf8(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    int extra;
    if (c < 0x80) { cp = c; extra = 0; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; extra = 1; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; extra = 2; }
    else if ((c >> 3) == 30) { cp = c & 0x07; extra = 3; }
    else { cp = 0xfffd; extra = 0; }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3f);
    out += static_cast<char32_t>(cp);
  }
  return out;
}

}  // namespace

Result<Tensor> ParseNpy(const std::string& bytes, const std::string& label) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    return Status::InvalidArgument(label + ": not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::InvalidArgument(label + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return Status::InvalidArgument(label + ": unsupported .npy format version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) return Status::InvalidArgument(label + ": truncated .npy header");
  const std::string header = bytes.substr(header_start, header_len);

  std::string rest;
  if (!FindKey(header, "descr", &rest)) return Status::InvalidArgument(label + ": .npy header has no 'descr'");
  size_t q1 = rest.find('\''), q2 = rest.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos) {
    return Status::InvalidArgument(label + ": structured .npy dtypes are not supported");
  }
  KILN_ASSIGN_OR_RETURN(Descr descr, ParseDescr(rest.substr(q1 + 1, q2 - q1 - 1), label));
  if (!FindKey(header, "fortran_order", &rest)) return Status::InvalidArgument(label + ": .npy header has no 'fortran_order'");
  if (rest.find("True") < rest.find(',')) {
    return Status::InvalidArgument(label + ": Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
  }
  if (!FindKey(header, "shape", &rest)) return Status::InvalidArgument(label + ": .npy header has no 'shape'");
  size_t open = rest.find('('), close = rest.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return Status::InvalidArgument(label + ": bad shape in .npy header");
  }
  Shape shape;
  std::stringstream ss(rest.substr(open + 1, close - open - 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(" L"), e = item.find_last_not_of(" L");
    if (b == std::string::npos) continue;
    try {
      long long d = std::stoll(item.substr(b, e - b + 1));
      if (d < 0) throw std::out_of_range("negative");
      shape.push_back(d);
    } catch (...) {
      return Status::InvalidArgument(label + ": bad dimension '" + item + "' in .npy header");
    }
  }
  const size_t data_start = header_start + header_len;
  const size_t available = bytes.size() - data_start;
  const int64_t n = NumElements(shape);
  if (descr.dtype == DataType::kString) {
    const size_t need = static_cast<size_t>(n) * static_cast<size_t>(descr.unicode_chars) * 4;
    if (available < need) {
      return Status::InvalidArgument(label + ": truncated data (" + std::to_string(available) + " of " +
                                     std::to_string(need) + " bytes)");
    }
    Tensor t = Tensor::Allocate(DataType::kString, shape);
    const char* p = bytes.data() + data_start;
    for (int64_t i = 0; i < n; ++i) {
      std::string s;
      for (int64_t c = 0; c < descr.unicode_chars; ++c) {
        uint32_t cp;
        std::memcpy(&cp, p + (i * descr.unicode_chars + c) * 4, 4);
        if (cp == 0) break;
        AppendUtf8(s, cp);
      }
      t.data<std::string>()[i] = std::move(s);
    }
    return t;
  }
  const size_t need = static_cast<size_t>(n) * DataTypeSize(descr.dtype);
  if (available < need) {
    return Status::InvalidArgument(label + ": truncated data (" + std::to_string(available) + " of " +
                                   std::to_string(need) + " bytes for shape " + ShapeToString(shape) + ")");
  }
  Tensor t = Tensor::Allocate(descr.dtype, shape);
  if (need > 0) std::memcpy(t.raw_data(), bytes.data() + data_start, need);
  return t;
}

Result<Tensor> ReadNpyFile(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  return ParseNpy(bytes, "'" + path + "'");
}

std::string SerializeNpy(const Tensor& t) {
  std::string descr;
  int64_t width = 0;
  switch (t.dtype()) {
    case DataType::kFloat: descr = "<f4"; break;
    case DataType::kDouble: descr = "<f8"; break;
    case DataType::kFloat16: descr = "<f2"; break;
    case DataType::kBFloat16: descr = "<V2"; break;
    case DataType::kInt8: descr = "|i1"; break;
    case DataType::kInt16: descr = "<i2"; break;
    case DataType::kInt32: descr = "<i4"; break;
    case DataType::kInt64: descr = "<i8"; break;
    case DataType::kUInt8: descr = "|u1"; break;
    case DataType::kUInt16: descr = "<u2"; break;
    case DataType::kUInt32: descr = "<u4"; break;
    case DataType::kUInt64: descr = "<u8"; break;
    case DataType::kBool: descr = "|b1"; break;
    case DataType::kString: {
      for (int64_t i = 0; i < t.num_elements(); ++i)
        width = std::max<int64_t>(width, static_cast<int64_t>(DecodeUtf8(t.data<std::string>()[i]).size()));
      width = std::max<int64_t>(width, 1);
      descr = "<U" + std::to_string(width);
      break;
    }
    default: descr = "|V" + std::to_string(DataTypeSize(t.dtype())); break;
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.rank() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  if (t.dtype() == DataType::kString) {
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      std::u32string u = DecodeUtf8(t.data<std::string>()[i]);
      u.resize(static_cast<size_t>(width), U'\0');
      out.append(reinterpret_cast<const char*>(u.data()), u.size() * 4);
    }
  } else {
    out.append(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
  return out;
}

Status WriteNpyFile(const std::string& path, const Tensor& tensor) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::NotFound("cannot write '" + path + "'");
  std::string bytes = SerializeNpy(tensor);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Status::Internal("writing '" + path + "' failed");
  return Status::Ok();
}

}  // namespace kiln::io
