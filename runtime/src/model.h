// A loaded model: the validated mapping, its graph plan, and the serving level with the
// switching protocol of design §6. Level k runs the first k weighted ops of the release order in
// part mode: 0 is full mode, level_count() is part mode, levels between are graded switching.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "arena_planner.h"
#include "graph.h"
#include "mapping_guard.h"
#include "nestrt/format/model_file.h"
#include "nestrt/nestrt.h"

namespace nestrt::runtime {

// A valid request this model cannot serve (NESTRT_UNSUPPORTED in the C API).
class UnsupportedError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct SwitchResult {
  uint32_t previous = 0;  // levels
  uint32_t level = 0;
  uint64_t bytes_paged = 0;
  uint64_t duration_ns = 0;
};

inline constexpr size_t kSwitchHistogramBuckets = NESTRT_SWITCH_HISTOGRAM_BUCKETS;

// The histogram bucket of a switch duration (nestrt.h): log4 steps from 16 us.
inline size_t switch_bucket(uint64_t duration_ns) {
  size_t bucket = 0;
  for (uint64_t bound = 16000; bucket + 1 < kSwitchHistogramBuckets && duration_ns >= bound; bound *= 4) ++bucket;
  return bucket;
}

struct SectionBytes {
  uint64_t high = 0, low = 0, metadata = 0;
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path, const nestrt_model_options& options);

  const format::ModelFile& file() const { return *file_; }
  const GraphPlan& plan() const { return plan_; }
  const ArenaPlan& arena() const { return arena_; }
  nestrt_mode mode() const { return mode_of(level()); }
  uint32_t level() const;
  uint32_t level_count() const { return level_count_; }
  nestrt_mode mode_of(uint32_t level) const;
  // Weight bytes resident at a level: the high sections and what of the low sections it keeps.
  uint64_t weight_bytes(uint32_t level) const;
  // The smallest level whose weight bytes fit the budget (level_count() if none does).
  uint32_t level_for_budget(uint64_t max_weight_bytes) const;
  SectionBytes section_bytes() const { return section_bytes_; }  // fixed at load
  SectionBytes resident_bytes() const;
  SectionBytes cached_bytes() const;
  uint64_t switch_count() const { return switch_count_.load(); }
  // Throws std::system_error (EIO) if the mapping lost pages to SIGBUS (mapping_guard.h): the
  // file was truncated or rewritten while loaded, so no result computed from it can be trusted.
  void check_mapping_intact() const;
  uint64_t last_switch_ns() const { return last_switch_ns_.load(); }
  uint64_t switch_histogram(size_t bucket) const { return switch_histogram_[bucket].load(); }

  SwitchResult switch_to(nestrt_mode mode) { return switch_to_level(mode == NESTRT_MODE_FULL ? 0 : level_count_); }
  // Throws std::invalid_argument for a level above level_count(), UnsupportedError for an
  // intermediate level of a file whose low planes are not all in one section, and std::system_error
  // or format::FormatError if paging fails — then the model keeps its previous level.
  SwitchResult switch_to_level(uint32_t level);

  // A run pins the level it starts with until it ends, so a switch cannot release low planes it
  // reads. Use RunGuard rather than these directly.
  uint32_t begin_run();
  void end_run(uint32_t level);

  std::atomic<int> sessions{0};

 private:
  Model() = default;
  uint64_t page_low(bool in) const;
  // Start of the low bytes level k releases (levels release prefixes of the one low section).
  const uint8_t* release_boundary(uint32_t level) const;
  uint64_t release_range(uint32_t from, uint32_t to) const;  // from < to: page out
  uint64_t restore_range(uint32_t from, uint32_t to) const;  // from < to: page in

  std::unique_ptr<format::ModelFile> file_;
  std::unique_ptr<MappingGuard> guard_;  // after file_: unregistered before the unmap
  GraphPlan plan_;
  ArenaPlan arena_;
  uint32_t level_count_ = 1;
  SectionBytes section_bytes_;
  size_t page_size_ = 4096;
  mutable std::mutex mutex_;      // guards level_ and runs_
  std::condition_variable idle_;  // signalled whenever a level's last run ends
  uint32_t level_ = 0;
  bool evict_page_cache_ = false;
  std::vector<int> runs_;    // in-flight runs per level
  std::mutex switch_mutex_;  // one switch at a time
  std::atomic<uint64_t> switch_count_{0};
  std::atomic<uint64_t> last_switch_ns_{0};
  std::array<std::atomic<uint64_t>, kSwitchHistogramBuckets> switch_histogram_{};
};

class RunGuard {
 public:
  explicit RunGuard(Model& model) : model_(model), level_(model.begin_run()) {}
  ~RunGuard() { model_.end_run(level_); }
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  uint32_t level() const { return level_; }

 private:
  Model& model_;
  uint32_t level_;
};

}  // namespace nestrt::runtime
