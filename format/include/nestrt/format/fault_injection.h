// Failure injection for the system calls loading and switching depend on (mmap, madvise), so tests
// can provoke the faults a device sees rarely (ENOMEM, EAGAIN, EIO, a kernel without
// MADV_POPULATE_READ) and check that nestrt reports them and stays consistent. Unarmed, a call
// site pays one relaxed atomic load. Not part of the public C API.
#pragma once

namespace nestrt::fault_injection {

enum class Call {
  kMmapModel,        // the model file mapping at load
  kMadvisePopulate,  // MADV_POPULATE_READ when paging low planes in
  kMadviseDontneed,  // MADV_DONTNEED when paging them out
  kCount,
};

// The next `times` calls of that kind fail with `error` (an errno value).
void arm(Call call, int error, int times = 1);
// Clears every armed failure.
void disarm_all();
// At a call site: the errno to fail with now, or 0 to make the real call.
int take(Call call);

}  // namespace nestrt::fault_injection
