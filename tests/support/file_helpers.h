// File helpers shared by every test suite: temporary directories, whole-file reads and writes,
// hand-built .npy bytes, and capturing an exception's message.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace nestrt::testing {

// A new empty directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<uint8_t> read_file(const std::string& path);
// Writes (replaces) the file; throws std::runtime_error if it cannot.
void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// .npy bytes: header with the given descr ("<f4", "|u1", ...), shape and fortran_order, then data.
std::vector<uint8_t> npy_bytes(const std::string& descr, const std::vector<int64_t>& shape,
                               const std::vector<uint8_t>& data, bool fortran_order = false, int version = 1);
std::vector<uint8_t> npy_f32(const std::vector<int64_t>& shape, const std::vector<float>& values);

// Runs f and returns the message of the exception of type E it throws ("" if none).
template <typename E = std::exception, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace nestrt::testing
