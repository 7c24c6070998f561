// Reading and writing .nest files: header, section table, checksums, validated metadata.
// Layout and every field: docs/format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "nestrt_generated.h"

namespace nestrt::format {

inline constexpr uint32_t kFormatVersion = 2;             // what the writer writes
inline constexpr uint32_t kOldestReadableVersion = 1;     // v1: planes of one int8 per element
inline constexpr uint64_t kSectionAlignment = 64 * 1024;  // >= every page size we target
inline constexpr size_t kHeaderFixedSize = 64;
inline constexpr size_t kSectionEntrySize = 32;
inline constexpr uint32_t kMaxSections = 1024;
inline constexpr uint32_t kMetadataSection = 0;

// Elements of a weight tensor (the product of its shape), for metadata the validator has accepted:
// four positive dimensions, at most 2^31 elements.
inline size_t weight_element_count(const fb::NestedWeights& w) {
  size_t n = 1;
  for (int32_t d : *w.shape()) n *= static_cast<size_t>(d);
  return n;
}

enum class SectionKind : uint32_t { kMetadata = 0, kHighPlanes = 1, kLowPlanes = 2 };
const char* section_kind_name(SectionKind kind);

struct SectionInfo {
  SectionKind kind;
  uint32_t level;     // nesting level: 0 for metadata and high planes, 1 for the first low plane
  uint64_t offset;    // from the start of the file, a multiple of kSectionAlignment
  uint64_t size;      // payload bytes (padding after it is not counted)
  uint64_t checksum;  // XXH64 (seed 0) of the payload
};

// Every way a file can be rejected; the message names the file and the problem.
enum class ErrorCode {
  kIo,
  kBadMagic,
  kBadVersion,
  kBadByteOrder,
  kTruncated,
  kBadHeader,
  kBadSectionTable,
  kChecksumMismatch,
  kBadMetadata,
  kBadReference,
};

class FormatError : public std::runtime_error {
 public:
  FormatError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// One payload section to write after the metadata. Its index in the file is 1 + its position.
struct SectionPayload {
  SectionKind kind;
  uint32_t level;
  std::vector<uint8_t> bytes;
};

// Writes header, metadata (a finished FlatBuffer of nestrt.fb.Model) and payload sections.
// The file appears atomically (temporary file + rename): on any error no file is left at `path`.
void write_model_file(const std::string& path, std::span<const uint8_t> metadata,
                      const std::vector<SectionPayload>& payloads);

struct OpenOptions {
  bool verify_checksums = true;  // reads every section once; the loader can skip it for speed
};

// A read-only, shared mmap of a .nest file whose header, section table, checksums and metadata
// references have all been validated. Weight planes are used in place, never copied.
class ModelFile {
 public:
  static std::unique_ptr<ModelFile> open(const std::string& path, const OpenOptions& options = {});
  ~ModelFile();
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  // The open descriptor (kept for the mapping's lifetime, e.g. for posix_fadvise on sections).
  int fd() const { return fd_; }
  const std::vector<SectionInfo>& sections() const { return sections_; }
  // The whole mapping (header to end of file).
  std::span<const uint8_t> mapping() const { return {base_, static_cast<size_t>(size_)}; }
  bool checksums_verified() const { return checksums_verified_; }
  const nestrt::fb::Model& model() const { return *model_; }

  // Bytes of a whole section, inside the mapping.
  std::span<const uint8_t> section_bytes(uint32_t index) const;
  // Bytes a (validated) reference points at.
  std::span<const uint8_t> resolve(const nestrt::fb::BufferRef& ref) const;
  // Recomputes one section's checksum; false on mismatch.
  bool verify_section(uint32_t index) const;
  // Throws FormatError(kIo) if the file on disk no longer has the size it had at open: it was
  // truncated or rewritten in place, and pages past its new end would raise SIGBUS. (Replacing
  // the file by rename is safe: the mapping keeps the old inode.)
  void check_unchanged_size() const;

 private:
  ModelFile() = default;
  void parse_header();
  void validate_metadata();

  std::string path_;
  int fd_ = -1;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  bool checksums_verified_ = false;
  std::vector<SectionInfo> sections_;
  const nestrt::fb::Model* model_ = nullptr;
};

}  // namespace nestrt::format
