// IDX reader (http://yann.lecun.com/exdb/mnist/): big-endian magic 0x00000803 (ubyte, 3 dims) for
// images and 0x00000801 (ubyte, 1 dim) for labels, then the dimensions, then the data.
#include "nestrt/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#include "nestrt/io/data_error.h"

namespace nestrt::io {
namespace {

constexpr uint32_t kImagesMagic = 2051;
constexpr uint32_t kLabelsMagic = 2049;
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 32;  // a bound against corrupt headers, far above real data

// gzopen reads gzip streams and passes other files through unchanged.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw DataError(path + ": cannot open IDX file");
  }
  ~GzReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to size bytes; fewer only at the end of the stream.
  size_t read(uint8_t* data, size_t size) {
    size_t total = 0;
    while (total < size) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - total, 1u << 30));
      const int n = gzread(file_, data + total, chunk);
      if (n < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        throw DataError(path_ + ": corrupt or unreadable IDX file (zlib: " + message + ")");
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }
  uint32_t read_u32(const char* what) {
    std::array<uint8_t, 4> b{};
    if (read(b.data(), b.size()) != b.size()) throw DataError(path_ + ": truncated IDX header (no " + what + ")");
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  // Reads exactly size bytes and checks that the stream ends there.
  std::vector<uint8_t> read_payload(uint64_t size, const std::string& what) {
    std::vector<uint8_t> data;
    // Grown as data arrives, so a header claiming more than the file holds costs no huge allocation.
    constexpr size_t kChunk = 1 << 22;
    while (data.size() < size) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size - data.size()));
      const size_t old = data.size();
      data.resize(old + want);
      const size_t got = read(data.data() + old, want);
      if (got < want) {
        throw DataError(path_ + ": truncated IDX file: header promises " + what + " (" + std::to_string(size) +
                        " bytes), found " + std::to_string(old + got));
      }
    }
    uint8_t extra = 0;
    if (read(&extra, 1) != 0)
      throw DataError(path_ + ": IDX file has data after the " + what + " its header describes");
    return data;
  }

 private:
  std::string path_;
  gzFile file_;
};

void check_magic(uint32_t magic, uint32_t expected, const std::string& path) {
  if (magic == expected) return;
  const char* found = magic == kImagesMagic   ? " (an IDX images file)"
                      : magic == kLabelsMagic ? " (an IDX labels file)"
                                              : "";
  throw DataError(path + ": bad IDX magic " + std::to_string(magic) + found + ", expected " + std::to_string(expected) +
                  (expected == kImagesMagic ? " (images)" : " (labels)"));
}

}  // namespace

IdxImages load_idx_images(const std::string& path) {
  GzReader in(path);
  check_magic(in.read_u32("magic number"), kImagesMagic, path);
  const uint32_t count = in.read_u32("image count");
  const uint32_t rows = in.read_u32("row count");
  const uint32_t cols = in.read_u32("column count");
  if (count == 0 || rows == 0 || cols == 0 || count > (1u << 30) || rows > 65536 || cols > 65536 ||
      uint64_t{count} * rows * cols > kMaxDataBytes) {
    throw DataError(path + ": implausible IDX image dimensions " + std::to_string(count) + " x " +
                    std::to_string(rows) + " x " + std::to_string(cols));
  }
  IdxImages images{static_cast<int>(count), static_cast<int>(rows), static_cast<int>(cols), {}};
  images.pixels = in.read_payload(uint64_t{count} * rows * cols, std::to_string(count) + " images");
  return images;
}

std::vector<uint8_t> load_idx_labels(const std::string& path) {
  GzReader in(path);
  check_magic(in.read_u32("magic number"), kLabelsMagic, path);
  const uint32_t count = in.read_u32("label count");
  if (count == 0 || count > (1u << 30))
    throw DataError(path + ": implausible IDX label count " + std::to_string(count));
  return in.read_payload(count, std::to_string(count) + " labels");
}

bool is_idx_images_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  std::array<uint8_t, 4> b{};
  const bool ok = gzread(file, b.data(), 4) == 4 && b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] == 0x03;
  gzclose(file);
  return ok;
}

}  // namespace nestrt::io
