// Byte layout of the fixed header and of one section-table entry (docs/format.md).
// All integers little-endian; the writer refuses to run on big-endian hosts.
#pragma once

#include <cstdint>
#include <cstring>

namespace nestrt::format::layout {

inline constexpr uint8_t kMagic[8] = {0x89, 'N', 'E', 'S', 'T', '\r', '\n', 0x1a};
inline constexpr uint32_t kByteOrderMark = 0x01020304u;

// Offsets inside the 64-byte fixed header.
inline constexpr size_t kOffMagic = 0;
inline constexpr size_t kOffVersion = 8;
inline constexpr size_t kOffByteOrder = 12;
inline constexpr size_t kOffHeaderSize = 16;
inline constexpr size_t kOffSectionCount = 20;
inline constexpr size_t kOffFileSize = 24;
inline constexpr size_t kOffHeaderChecksum = 32;

// Offsets inside one 32-byte section entry.
inline constexpr size_t kOffKind = 0;
inline constexpr size_t kOffLevel = 4;
inline constexpr size_t kOffSectionOffset = 8;
inline constexpr size_t kOffSectionSize = 16;
inline constexpr size_t kOffSectionChecksum = 24;

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

inline bool host_is_little_endian() {
  const uint32_t probe = 1;
  return load<uint8_t>(reinterpret_cast<const uint8_t*>(&probe)) == 1;
}

}  // namespace nestrt::format::layout
