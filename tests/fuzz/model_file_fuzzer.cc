// Fuzzes the .nest reader on raw file bytes: header, section table, checksums, metadata. The
// header checksum is restamped first (when the header's own size fields allow it), so mutations
// of the section table reach its validation instead of all stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exercise_model.h"
#include "header_layout.h"
#include "nestrt/format/model_file.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace {

void restamp_header_checksum(std::vector<uint8_t>& file) {
  using namespace nestrt::format;
  if (file.size() < kHeaderFixedSize) return;
  const uint32_t header_size = layout::load<uint32_t>(file.data() + layout::kOffHeaderSize);
  if (header_size < kHeaderFixedSize || header_size > file.size()) return;
  layout::store<uint64_t>(file.data() + layout::kOffHeaderChecksum, 0);
  layout::store<uint64_t>(file.data() + layout::kOffHeaderChecksum, XXH64(file.data(), header_size, 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  restamp_header_checksum(file);
  const std::string& path = nestrt::fuzz::scratch_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);
  nestrt::fuzz::exercise_model_file(path);
  return 0;
}
