// Turns SIGBUS on a model mapping into an error for the run instead of a dead process.
//
// A mapped file that is truncated (or shrunk by a rewrite in place) while loaded makes every
// access past its new end raise SIGBUS. A process-wide handler, installed with the first guard,
// checks whether the faulting address lies in a guarded mapping; if so it maps a zero page over
// the faulting page so the instruction can complete, counts the fault, and returns. The run then
// sees faults() > 0 and fails with NESTRT_IO_ERROR before writing the caller's output; because
// the zero pages stay, every later run of that model fails the same way until it is reloaded.
// Faults outside guarded mappings go to the handler that was installed before ours (or the
// default action: the process dies as it would have without nestrt).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrt::runtime {

class MappingGuard {
 public:
  MappingGuard(const uint8_t* begin, size_t size);  // registers the range (installs the handler once)
  ~MappingGuard();                                  // unregisters it
  MappingGuard(const MappingGuard&) = delete;
  MappingGuard& operator=(const MappingGuard&) = delete;

  // SIGBUS faults absorbed on this mapping so far; nonzero means its contents are gone.
  uint64_t faults() const;

 private:
  int slot_ = -1;  // index in the handler's table; -1 if the table was full (then unguarded)
};

}  // namespace nestrt::runtime
