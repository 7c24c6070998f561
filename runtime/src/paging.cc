#include "paging.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "nestrt/format/fault_injection.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older glibc headers lack the name
#endif

namespace nestrt::runtime {
namespace {

struct PageRange {
  uint8_t* begin;
  size_t length;
};

PageRange widen(const uint8_t* data, size_t size) {
  const uintptr_t page = page_size();
  const uintptr_t start = reinterpret_cast<uintptr_t>(data) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size + page - 1) / page * page;
  return {reinterpret_cast<uint8_t*>(start), static_cast<size_t>(end - start)};
}

// madvise, retried a few times on EAGAIN/EINTR (transient: the kernel could not get a resource or a
// signal arrived), with the test hook of fault_injection.h in front.
int advise(const PageRange& r, int advice, fault_injection::Call call) {
  for (int attempt = 0;; ++attempt) {
    const int injected = fault_injection::take(call);
    const int rc = injected ? (errno = injected, -1) : madvise(r.begin, r.length, advice);
    if (rc == 0 || (errno != EAGAIN && errno != EINTR) || attempt == 3) return rc;
  }
}

}  // namespace

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

uint64_t page_in(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PageRange r = widen(data, size);
  if (advise(r, MADV_POPULATE_READ, fault_injection::Call::kMadvisePopulate) == 0) return size;
  // EFAULT: a page would raise SIGBUS — the file no longer backs it (truncated) or cannot be read.
  if (errno == EFAULT) {
    throw std::system_error(errno, std::generic_category(),
                            "madvise(MADV_POPULATE_READ): the model file no longer backs these pages (truncated "
                            "while loaded, or a read error)");
  }
  // EINVAL: kernel without POPULATE_READ (JetPack 5). WILLNEED only starts read-ahead, so touch too.
  if (errno != EINVAL) throw std::system_error(errno, std::generic_category(), "madvise(MADV_POPULATE_READ)");
  madvise(r.begin, r.length, MADV_WILLNEED);
  volatile uint8_t sink = 0;
  for (size_t off = 0; off < r.length; off += page_size()) sink = sink + r.begin[off];
  return size;
}

uint64_t page_out(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PageRange r = widen(data, size);
  if (advise(r, MADV_DONTNEED, fault_injection::Call::kMadviseDontneed) != 0) {
    throw std::system_error(errno, std::generic_category(), "madvise(MADV_DONTNEED)");
  }
  return size;
}

bool drop_from_page_cache(int fd, uint64_t offset, uint64_t size) {
  return posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(size), POSIX_FADV_DONTNEED) == 0;
}

uint64_t resident_bytes(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PageRange r = widen(data, size);
  const size_t pages = r.length / page_size();
  std::vector<uint64_t> entries(pages);
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cached_bytes(data, size);
  const off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(r.begin) / page_size() * sizeof(uint64_t));
  const ssize_t n = pread(fd, entries.data(), pages * sizeof(uint64_t), offset);
  close(fd);
  if (n != static_cast<ssize_t>(pages * sizeof(uint64_t))) return cached_bytes(data, size);
  uint64_t resident = 0;
  for (uint64_t e : entries) resident += (e >> 63) ? page_size() : 0;  // bit 63: page present
  return resident;
}

uint64_t cached_bytes(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PageRange r = widen(data, size);
  std::vector<unsigned char> pages(r.length / page_size());
  if (mincore(r.begin, r.length, pages.data()) != 0) {
    throw std::system_error(errno, std::generic_category(), "mincore");
  }
  uint64_t resident = 0;
  for (unsigned char p : pages) resident += (p & 1u) ? page_size() : 0;
  return resident;
}

}  // namespace nestrt::runtime
