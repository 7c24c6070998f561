#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "header_layout.h"
#include "nestrt/format/model_file.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace nestrt::format {
namespace {

uint64_t align_up(uint64_t v) {
  return (v + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

[[noreturn]] void io_error(const std::string& path, const std::string& what) {
  throw FormatError(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(errno));
}

// Owns a temporary file descriptor; unlinks the file unless committed.
class TempFile {
 public:
  explicit TempFile(const std::string& target) : target_(target), path_(target + ".tmp-XXXXXX") {
    fd_ = mkstemp(path_.data());
    if (fd_ < 0) io_error(target, "cannot create a temporary file next to it");
  }
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(path_.c_str());
  }
  void write_at(uint64_t offset, const uint8_t* data, size_t size) {
    while (size > 0) {
      const ssize_t n = pwrite(fd_, data, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) io_error(target_, "write failed");
      data += n;
      size -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
  }
  void commit(uint64_t file_size) {
    if (ftruncate(fd_, static_cast<off_t>(file_size)) != 0) io_error(target_, "cannot size file");
    if (fchmod(fd_, 0644) != 0) io_error(target_, "cannot set permissions");
    if (fsync(fd_) != 0) io_error(target_, "fsync failed");
    if (close(fd_) != 0) io_error(target_, "close failed");
    fd_ = -1;
    if (rename(path_.c_str(), target_.c_str()) != 0) io_error(target_, "cannot rename temporary file into place");
    committed_ = true;
  }

 private:
  std::string target_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_model_file(const std::string& path, std::span<const uint8_t> metadata,
                      const std::vector<SectionPayload>& payloads) {
  if (!layout::host_is_little_endian()) {
    throw FormatError(ErrorCode::kBadByteOrder, "nestrt files are little-endian; big-endian hosts are unsupported");
  }
  if (payloads.size() + 1 > kMaxSections) throw FormatError(ErrorCode::kBadSectionTable, "too many sections");

  std::vector<SectionInfo> table;
  table.push_back({SectionKind::kMetadata, 0, 0, metadata.size(), XXH64(metadata.data(), metadata.size(), 0)});
  for (const auto& p : payloads)
    table.push_back({p.kind, p.level, 0, p.bytes.size(), XXH64(p.bytes.data(), p.bytes.size(), 0)});

  const uint32_t header_size = static_cast<uint32_t>(kHeaderFixedSize + kSectionEntrySize * table.size());
  uint64_t cursor = align_up(header_size);
  for (auto& s : table) {
    s.offset = cursor;
    cursor = align_up(cursor + s.size);
  }
  // The last section is not padded: the file ends where its payload ends.
  const uint64_t file_size = table.back().offset + table.back().size;

  std::vector<uint8_t> header(header_size, 0);
  std::memcpy(header.data() + layout::kOffMagic, layout::kMagic, sizeof layout::kMagic);
  layout::store<uint32_t>(header.data() + layout::kOffVersion, kFormatVersion);
  layout::store<uint32_t>(header.data() + layout::kOffByteOrder, layout::kByteOrderMark);
  layout::store<uint32_t>(header.data() + layout::kOffHeaderSize, header_size);
  layout::store<uint32_t>(header.data() + layout::kOffSectionCount, static_cast<uint32_t>(table.size()));
  layout::store<uint64_t>(header.data() + layout::kOffFileSize, file_size);
  for (size_t i = 0; i < table.size(); ++i) {
    uint8_t* e = header.data() + kHeaderFixedSize + i * kSectionEntrySize;
    layout::store<uint32_t>(e + layout::kOffKind, static_cast<uint32_t>(table[i].kind));
    layout::store<uint32_t>(e + layout::kOffLevel, table[i].level);
    layout::store<uint64_t>(e + layout::kOffSectionOffset, table[i].offset);
    layout::store<uint64_t>(e + layout::kOffSectionSize, table[i].size);
    layout::store<uint64_t>(e + layout::kOffSectionChecksum, table[i].checksum);
  }
  // The header checksum covers the whole header with its own field zeroed.
  layout::store<uint64_t>(header.data() + layout::kOffHeaderChecksum, XXH64(header.data(), header.size(), 0));

  TempFile out(path);
  out.write_at(0, header.data(), header.size());
  out.write_at(table[0].offset, metadata.data(), metadata.size());
  for (size_t i = 0; i < payloads.size(); ++i)
    out.write_at(table[i + 1].offset, payloads[i].bytes.data(), payloads[i].bytes.size());
  out.commit(file_size);
}

}  // namespace nestrt::format
