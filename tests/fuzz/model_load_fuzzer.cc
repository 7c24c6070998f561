// Fuzzes model validation and execution below the file layer: the input is
//   u32 metadata size | metadata (a nestrt.fb.Model FlatBuffer) | u32 high size | high planes | low planes
// and the target writes a well-formed file around it (correct header, alignment and checksums),
// so every mutation reaches the metadata validator, the graph planner and, if accepted, the kernels.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "exercise_model.h"
#include "nestrt/format/model_file.h"

namespace {

bool take(const uint8_t*& data, size_t& size, std::span<const uint8_t>& out) {
  uint32_t n = 0;
  if (size < sizeof n) return false;
  std::memcpy(&n, data, sizeof n);
  data += sizeof n;
  size -= sizeof n;
  if (n > size) return false;
  out = {data, n};
  data += n;
  size -= n;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nestrt::format;
  std::span<const uint8_t> metadata, high;
  if (!take(data, size, metadata) || !take(data, size, high)) return 0;
  std::vector<SectionPayload> payloads = {{SectionKind::kHighPlanes, 0, {high.begin(), high.end()}},
                                          {SectionKind::kLowPlanes, 1, {data, data + size}}};
  const std::string& path = nestrt::fuzz::scratch_path();
  try {
    write_model_file(path, metadata, payloads);
  } catch (const std::exception&) {
    return 0;  // e.g. an empty metadata section: not a file the writer produces
  }
  nestrt::fuzz::exercise_model_file(path);
  return 0;
}
