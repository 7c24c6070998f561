#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::io {

struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

enum class NpyType { kFloat32, kFloat64, kUInt8 };

// An .npy array as stored: element type, shape and the little-endian, C-order element bytes.
struct NpyArray {
  NpyType type = NpyType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  int64_t element_count() const;
};

// Reads an .npy file (format versions 1-3) holding little-endian float32, float64 or uint8 in
// C order; anything else (Fortran order, big-endian, other dtypes, truncated data) throws DataError.
NpyArray load_npy_array(const std::string& path);

// load_npy_array converted to float32.
FloatTensor load_npy(const std::string& path);

// The array's elements converted to float32, same shape.
FloatTensor to_float_tensor(const NpyArray& array);

// Writes a little-endian float32 C-order .npy file (format version 1.0); throws DataError when
// the file cannot be written or the shape does not match the data.
void save_npy(const std::string& path, const FloatTensor& tensor);

}  // namespace nestrt::io
