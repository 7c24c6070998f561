// Paging a byte range of the model mapping in or out of this process (design §6), and measuring
// how much of it is resident. Ranges are widened to whole pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrt::runtime {

size_t page_size();

// Faults the range in: MADV_POPULATE_READ where the kernel has it (5.14+), else MADV_WILLNEED
// plus touching one byte per page. Returns the bytes of the range. Throws std::system_error
// (EAGAIN and EINTR are retried a few times first; EFAULT: the file no longer backs a page).
uint64_t page_in(const uint8_t* data, size_t size);

// Drops the range from this process's resident set (MADV_DONTNEED; the page cache keeps it).
// Safe at any time for a read-only file mapping: a later access faults the pages back in.
uint64_t page_out(const uint8_t* data, size_t size);

// Asks the kernel to drop a file range from the page cache (posix_fadvise DONTNEED). Only pages
// no process maps are dropped, so call it after page_out. Returns false if the kernel refused.
bool drop_from_page_cache(int fd, uint64_t offset, uint64_t size);

// Bytes of the range mapped in this process's page tables (/proc/self/pagemap present bits):
// what MADV_DONTNEED releases and what the process is charged for. mincore() cannot tell this
// for a file mapping: it reports page-cache residency, which DONTNEED leaves untouched.
// Falls back to cached_bytes() where pagemap is unreadable.
uint64_t resident_bytes(const uint8_t* data, size_t size);

// Bytes of the range present in the page cache (mincore).
uint64_t cached_bytes(const uint8_t* data, size_t size);

}  // namespace nestrt::runtime
