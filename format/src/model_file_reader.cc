#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "header_layout.h"
#include "nestrt/format/fault_injection.h"
#include "nestrt/format/model_file.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace nestrt::format {
namespace {

std::string hex(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool add_overflows(uint64_t a, uint64_t b, uint64_t* sum) {
  return __builtin_add_overflow(a, b, sum);
}

}  // namespace

ModelFile::~ModelFile() {
  if (base_ != nullptr) munmap(const_cast<uint8_t*>(base_), size_);
  if (fd_ >= 0) close(fd_);
}

std::unique_ptr<ModelFile> ModelFile::open(const std::string& path, const OpenOptions& options) {
  std::unique_ptr<ModelFile> file(new ModelFile());
  file->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FormatError(ErrorCode::kIo, path + ": cannot open: " + std::strerror(errno));
  file->fd_ = fd;  // owned from here on: closed by the destructor, also on every error below
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw FormatError(ErrorCode::kIo, path + ": not a regular file");
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ < kHeaderFixedSize) {
    throw FormatError(ErrorCode::kTruncated, path + ": truncated: " + std::to_string(file->size_) +
                                                 " bytes is smaller than the " + std::to_string(kHeaderFixedSize) +
                                                 "-byte header");
  }
  // MAP_SHARED read-only: pages come from the page cache, so several processes share one copy
  // and madvise(MADV_DONTNEED) really releases our resident set.
  const int injected = fault_injection::take(fault_injection::Call::kMmapModel);
  void* p = injected ? (errno = injected, MAP_FAILED) : mmap(nullptr, file->size_, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw FormatError(ErrorCode::kIo, path + ": mmap failed: " + std::strerror(errno));
  file->base_ = static_cast<const uint8_t*>(p);

  file->parse_header();
  if (options.verify_checksums) {
    for (uint32_t i = 0; i < file->sections_.size(); ++i) {
      if (!file->verify_section(i)) {
        const auto& s = file->sections_[i];
        throw FormatError(ErrorCode::kChecksumMismatch,
                          path + ": checksum mismatch in section " + std::to_string(i) + " (" +
                              section_kind_name(s.kind) + "): stored " + hex(s.checksum) + ", computed " +
                              hex(XXH64(file->base_ + s.offset, s.size, 0)) + " (file corrupt?)");
      }
    }
    file->checksums_verified_ = true;
  } else if (!file->verify_section(kMetadataSection)) {
    throw FormatError(ErrorCode::kChecksumMismatch, path + ": checksum mismatch in section 0 (metadata)");
  }
  file->validate_metadata();
  return file;
}

void ModelFile::parse_header() {
  const uint8_t* h = base_;
  if (std::memcmp(h + layout::kOffMagic, layout::kMagic, sizeof layout::kMagic) != 0) {
    throw FormatError(ErrorCode::kBadMagic, path_ + ": bad magic: not a nestrt model file");
  }
  version_ = layout::load<uint32_t>(h + layout::kOffVersion);
  if (version_ < kOldestReadableVersion || version_ > kFormatVersion) {
    throw FormatError(ErrorCode::kBadVersion, path_ + ": unsupported format version " + std::to_string(version_) +
                                                  " (this build reads versions " +
                                                  std::to_string(kOldestReadableVersion) + " to " +
                                                  std::to_string(kFormatVersion) + ")");
  }
  if (layout::load<uint32_t>(h + layout::kOffByteOrder) != layout::kByteOrderMark) {
    throw FormatError(ErrorCode::kBadByteOrder, path_ + ": byte-order mark mismatch (file written big-endian?)");
  }
  const uint64_t declared_size = layout::load<uint64_t>(h + layout::kOffFileSize);
  if (declared_size != size_) {
    throw FormatError(declared_size > size_ ? ErrorCode::kTruncated : ErrorCode::kBadHeader,
                      path_ + (declared_size > size_ ? ": truncated: header says " : ": trailing data: header says ") +
                          std::to_string(declared_size) + " bytes, file has " + std::to_string(size_));
  }
  const uint32_t header_size = layout::load<uint32_t>(h + layout::kOffHeaderSize);
  const uint32_t count = layout::load<uint32_t>(h + layout::kOffSectionCount);
  if (count == 0 || count > kMaxSections || header_size != kHeaderFixedSize + kSectionEntrySize * count ||
      header_size > size_) {
    throw FormatError(ErrorCode::kBadHeader, path_ + ": bad header: " + std::to_string(count) +
                                                 " sections in a header of " + std::to_string(header_size) + " bytes");
  }
  std::vector<uint8_t> copy(h, h + header_size);
  layout::store<uint64_t>(copy.data() + layout::kOffHeaderChecksum, 0);
  if (XXH64(copy.data(), copy.size(), 0) != layout::load<uint64_t>(h + layout::kOffHeaderChecksum)) {
    throw FormatError(ErrorCode::kChecksumMismatch, path_ + ": header checksum mismatch (file corrupt?)");
  }

  uint64_t previous_end = header_size;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = h + kHeaderFixedSize + i * kSectionEntrySize;
    SectionInfo s{};
    const uint32_t kind = layout::load<uint32_t>(e + layout::kOffKind);
    s.level = layout::load<uint32_t>(e + layout::kOffLevel);
    s.offset = layout::load<uint64_t>(e + layout::kOffSectionOffset);
    s.size = layout::load<uint64_t>(e + layout::kOffSectionSize);
    s.checksum = layout::load<uint64_t>(e + layout::kOffSectionChecksum);
    const std::string where = path_ + ": section " + std::to_string(i);
    if (kind > static_cast<uint32_t>(SectionKind::kLowPlanes)) {
      throw FormatError(ErrorCode::kBadSectionTable, where + " has unknown kind " + std::to_string(kind));
    }
    s.kind = static_cast<SectionKind>(kind);
    if ((i == kMetadataSection) != (s.kind == SectionKind::kMetadata)) {
      throw FormatError(ErrorCode::kBadSectionTable, where + ": section 0, and only section 0, must be metadata");
    }
    uint64_t end = 0;
    if (s.offset % kSectionAlignment != 0 || s.offset < previous_end || add_overflows(s.offset, s.size, &end) ||
        end > size_) {
      throw FormatError(ErrorCode::kBadSectionTable,
                        where + " (" + section_kind_name(s.kind) + ") at offset " + std::to_string(s.offset) +
                            " size " + std::to_string(s.size) +
                            " is misaligned, overlaps another section or extends past the end of the file (" +
                            std::to_string(size_) + " bytes)");
    }
    previous_end = end;
    sections_.push_back(s);
  }
}

std::span<const uint8_t> ModelFile::section_bytes(uint32_t index) const {
  const auto& s = sections_.at(index);
  return {base_ + s.offset, static_cast<size_t>(s.size)};
}

std::span<const uint8_t> ModelFile::resolve(const fb::BufferRef& ref) const {
  return section_bytes(ref.section()).subspan(static_cast<size_t>(ref.offset()), static_cast<size_t>(ref.size()));
}

bool ModelFile::verify_section(uint32_t index) const {
  const auto bytes = section_bytes(index);
  return XXH64(bytes.data(), bytes.size(), 0) == sections_[index].checksum;
}

void ModelFile::check_unchanged_size() const {
  struct stat st {};
  if (fstat(fd_, &st) != 0) throw FormatError(ErrorCode::kIo, path_ + ": cannot stat: " + std::strerror(errno));
  if (static_cast<uint64_t>(st.st_size) != size_) {
    throw FormatError(ErrorCode::kIo, path_ + ": the file changed size while loaded (" + std::to_string(size_) +
                                          " bytes at load, " + std::to_string(st.st_size) +
                                          " now): it was truncated or rewritten in place; reload the model");
  }
}

}  // namespace nestrt::format
