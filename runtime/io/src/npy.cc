// .npy reader. Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include "nestrt/io/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string_view>

#include "nestrt/io/data_error.h"

namespace nestrt::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// The header is a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (64, 10), }
// This returns the text after "'key':" (leading spaces skipped).
std::string_view dict_value(std::string_view header, std::string_view key, const std::string& path) {
  const std::string quoted = "'" + std::string(key) + "'";
  size_t pos = header.find(quoted);
  if (pos == std::string_view::npos) throw DataError(path + ": .npy header has no '" + std::string(key) + "' entry");
  pos = header.find(':', pos + quoted.size());
  if (pos == std::string_view::npos) throw DataError(path + ": malformed .npy header");
  pos = header.find_first_not_of(' ', pos + 1);
  if (pos == std::string_view::npos) throw DataError(path + ": malformed .npy header");
  return header.substr(pos);
}

NpyType parse_descr(std::string_view header, const std::string& path) {
  std::string_view v = dict_value(header, "descr", path);
  if (v.empty() || (v[0] != '\'' && v[0] != '"')) throw DataError(path + ": malformed 'descr' in .npy header");
  const size_t end = v.find(v[0], 1);
  if (end == std::string_view::npos) throw DataError(path + ": malformed 'descr' in .npy header");
  const std::string descr(v.substr(1, end - 1));
  if (descr == "<f4") return NpyType::kFloat32;
  if (descr == "<f8") return NpyType::kFloat64;
  if (descr == "|u1" || descr == "<u1" || descr == "u1") return NpyType::kUInt8;
  throw DataError(path + ": unsupported .npy dtype '" + descr +
                  "' (supported: little-endian float32 '<f4', float64 '<f8', uint8 '|u1')");
}

std::vector<int64_t> parse_shape(std::string_view header, const std::string& path) {
  std::string_view v = dict_value(header, "shape", path);
  if (v.empty() || v[0] != '(') throw DataError(path + ": malformed 'shape' in .npy header");
  const size_t end = v.find(')');
  if (end == std::string_view::npos) throw DataError(path + ": malformed 'shape' in .npy header");
  std::vector<int64_t> shape;
  std::string_view rest = v.substr(1, end - 1);
  while (!rest.empty()) {
    const size_t digits_begin = rest.find_first_not_of(" ,");
    if (digits_begin == std::string_view::npos) break;
    rest.remove_prefix(digits_begin);
    int64_t dim = 0;
    size_t i = 0;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) {
      if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10) throw DataError(path + ": .npy dimension too large");
      dim = dim * 10 + (rest[i] - '0');
    }
    if (i == 0) throw DataError(path + ": malformed 'shape' in .npy header");
    shape.push_back(dim);
    rest.remove_prefix(i);
  }
  return shape;
}

size_t element_size(NpyType type) {
  switch (type) {
    case NpyType::kFloat32: return 4;
    case NpyType::kFloat64: return 8;
    case NpyType::kUInt8: return 1;
  }
  return 1;
}

}  // namespace

int64_t NpyArray::element_count() const {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

NpyArray load_npy_array(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open .npy file");
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < kMagicSize + 4 || std::memcmp(file.data(), kMagic, kMagicSize) != 0) {
    throw DataError(path + ": not an .npy file (bad magic)");
  }
  const int major = file[6];
  size_t header_len = 0, header_begin = 0;
  if (major == 1) {
    header_len = file[8] | (static_cast<size_t>(file[9]) << 8);
    header_begin = 10;
  } else if (major == 2 || major == 3) {
    if (file.size() < 12) throw DataError(path + ": truncated .npy header");
    header_len = file[8] | (static_cast<size_t>(file[9]) << 8) | (static_cast<size_t>(file[10]) << 16) |
                 (static_cast<size_t>(file[11]) << 24);
    header_begin = 12;
  } else {
    throw DataError(path + ": unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > file.size() - header_begin) throw DataError(path + ": truncated .npy header");
  const std::string_view header(reinterpret_cast<const char*>(file.data()) + header_begin, header_len);

  if (dict_value(header, "fortran_order", path).substr(0, 5) != "False") {
    throw DataError(path + ": Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)");
  }
  NpyArray array;
  array.type = parse_descr(header, path);
  array.shape = parse_shape(header, path);
  uint64_t expected = element_size(array.type);
  for (int64_t d : array.shape) {
    if (d != 0 && expected > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      throw DataError(path + ": .npy shape too large");
    }
    expected *= static_cast<uint64_t>(d);
  }
  const size_t data_begin = header_begin + header_len;
  const uint64_t available = file.size() - data_begin;
  if (available < expected) {
    throw DataError(path + ": truncated .npy data: expected " + std::to_string(expected) + " bytes, found " +
                    std::to_string(available));
  }
  if (available > expected) {
    throw DataError(path + ": .npy file has " + std::to_string(available - expected) +
                    " bytes after the data its header describes");
  }
  array.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(data_begin), file.end());
  return array;
}

FloatTensor load_npy(const std::string& path) {
  return to_float_tensor(load_npy_array(path));
}

FloatTensor to_float_tensor(const NpyArray& array) {
  FloatTensor tensor{array.shape, std::vector<float>(static_cast<size_t>(array.element_count()))};
  const uint8_t* src = array.bytes.data();
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    switch (array.type) {
      case NpyType::kFloat32: std::memcpy(&tensor.data[i], src + 4 * i, 4); break;
      case NpyType::kFloat64: {
        double d;
        std::memcpy(&d, src + 8 * i, 8);
        tensor.data[i] = static_cast<float>(d);
        break;
      }
      case NpyType::kUInt8: tensor.data[i] = src[i]; break;
    }
  }
  return tensor;
}

void save_npy(const std::string& path, const FloatTensor& tensor) {
  int64_t count = 1;
  std::string shape;
  for (int64_t d : tensor.shape) {
    count *= d;
    shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  }
  if (tensor.shape.size() == 1) shape += ",";  // Python's one-element tuple "(5,)"
  if (count != static_cast<int64_t>(tensor.data.size())) {
    throw DataError(path + ": internal error: shape does not match the " + std::to_string(tensor.data.size()) +
                    " values to write");
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces and ended by '\n' to 64 bytes.
  header.append(63 - (kMagicSize + 4 + header.size()) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const char version[2] = {1, 0};
  const uint16_t length = static_cast<uint16_t>(header.size());
  const char length_le[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(kMagic, kMagicSize);
  out.write(version, 2);
  out.write(length_le, 2);
  out << header;
  static_assert(std::numeric_limits<float>::is_iec559);
  for (float v : tensor.data) {  // little-endian whatever the host
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    const char le[4] = {static_cast<char>(bits), static_cast<char>(bits >> 8), static_cast<char>(bits >> 16),
                        static_cast<char>(bits >> 24)};
    out.write(le, 4);
  }
  out.close();
  if (!out) throw DataError(path + ": cannot write the .npy file");
}

}  // namespace nestrt::io
