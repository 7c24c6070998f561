// A loaded model: the validated mapping, its graph plan, and the serving mode with the
// switching protocol of design §6.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "arena_planner.h"
#include "graph.h"
#include "nestrt/format/model_file.h"
#include "nestrt/nestrt.h"

namespace nestrt::runtime {

struct SwitchResult {
  nestrt_mode previous;
  nestrt_mode mode;
  uint64_t bytes_paged = 0;
  uint64_t duration_ns = 0;
};

struct SectionBytes {
  uint64_t high = 0, low = 0, metadata = 0;
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path, const nestrt_model_options& options);

  const format::ModelFile& file() const { return *file_; }
  const GraphPlan& plan() const { return plan_; }
  const ArenaPlan& arena() const { return arena_; }
  nestrt_mode mode() const;
  SectionBytes section_bytes() const;
  SectionBytes resident_bytes() const;
  SectionBytes cached_bytes() const;
  uint64_t switch_count() const { return switch_count_.load(); }
  uint64_t last_switch_ns() const { return last_switch_ns_.load(); }

  SwitchResult switch_to(nestrt_mode mode);

  // A run pins the mode it starts with until it ends, so full->part cannot release the low
  // sections under it. Use RunGuard rather than these directly.
  nestrt_mode begin_run();
  void end_run(nestrt_mode mode);

  std::atomic<int> sessions{0};

 private:
  Model() = default;
  uint64_t page_low(bool in) const;

  std::unique_ptr<format::ModelFile> file_;
  GraphPlan plan_;
  ArenaPlan arena_;
  mutable std::mutex mutex_;      // guards mode_ and full_runs_
  std::condition_variable idle_;  // signalled when the last full-mode run ends
  nestrt_mode mode_ = NESTRT_MODE_FULL;
  bool evict_page_cache_ = false;
  int full_runs_ = 0;
  std::mutex switch_mutex_;  // one switch at a time
  std::atomic<uint64_t> switch_count_{0};
  std::atomic<uint64_t> last_switch_ns_{0};
};

class RunGuard {
 public:
  explicit RunGuard(Model& model) : model_(model), mode_(model.begin_run()) {}
  ~RunGuard() { model_.end_run(mode_); }
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  nestrt_mode mode() const { return mode_; }

 private:
  Model& model_;
  nestrt_mode mode_;
};

}  // namespace nestrt::runtime
