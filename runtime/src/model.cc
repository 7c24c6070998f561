#include "model.h"

#include <chrono>

#include "paging.h"

namespace nestrt::runtime {

std::unique_ptr<Model> Model::load(const std::string& path, const nestrt_model_options& options) {
  std::unique_ptr<Model> model(new Model());
  format::OpenOptions open_options;
  open_options.verify_checksums = options.verify_checksums != 0;
  model->file_ = format::ModelFile::open(path, open_options);
  model->plan_ = build_graph_plan(*model->file_);
  model->arena_ = plan_arena(model->plan_);
  check_arena_plan(model->plan_, model->arena_);
  model->mode_ = options.initial_mode;
  model->evict_page_cache_ = options.evict_page_cache != 0;
  // Checksum verification read every section; a part-mode start releases the low planes again.
  if (model->mode_ == NESTRT_MODE_PART) model->page_low(false);
  return model;
}

nestrt_mode Model::mode() const {
  std::lock_guard lock(mutex_);
  return mode_;
}

uint64_t Model::page_low(bool in) const {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < file_->sections().size(); ++i) {
    if (file_->sections()[i].kind != format::SectionKind::kLowPlanes) continue;
    const auto span = file_->section_bytes(i);
    bytes += in ? page_in(span.data(), span.size()) : page_out(span.data(), span.size());
    // Best effort: a refusal only means the pages stay cached, as without the option.
    if (!in && evict_page_cache_) drop_from_page_cache(file_->fd(), file_->sections()[i].offset, span.size());
  }
  return bytes;
}

SwitchResult Model::switch_to(nestrt_mode target) {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard serial(switch_mutex_);
  SwitchResult result{mode(), target};
  if (result.previous == target) return result;
  if (target == NESTRT_MODE_FULL) {
    // Page in first: runs keep using part mode until every low page is resident.
    result.bytes_paged = page_low(true);
    std::lock_guard lock(mutex_);
    mode_ = NESTRT_MODE_FULL;
  } else {
    {
      std::unique_lock lock(mutex_);
      mode_ = NESTRT_MODE_PART;  // new runs start in part mode from here on
      idle_.wait(lock, [this] { return full_runs_ == 0; });
    }
    result.bytes_paged = page_low(false);
  }
  result.duration_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  switch_count_.fetch_add(1);
  last_switch_ns_.store(result.duration_ns);
  return result;
}

nestrt_mode Model::begin_run() {
  std::lock_guard lock(mutex_);
  if (mode_ == NESTRT_MODE_FULL) ++full_runs_;
  return mode_;
}

void Model::end_run(nestrt_mode mode) {
  if (mode != NESTRT_MODE_FULL) return;
  std::lock_guard lock(mutex_);
  if (--full_runs_ == 0) idle_.notify_all();
}

namespace {
template <typename Measure>
SectionBytes measure_sections(const format::ModelFile& file, Measure measure) {
  SectionBytes out;
  for (uint32_t i = 0; i < file.sections().size(); ++i) {
    const auto span = file.section_bytes(i);
    const uint64_t bytes = measure(span);
    switch (file.sections()[i].kind) {
      case format::SectionKind::kMetadata: out.metadata += bytes; break;
      case format::SectionKind::kHighPlanes: out.high += bytes; break;
      case format::SectionKind::kLowPlanes: out.low += bytes; break;
    }
  }
  return out;
}
}  // namespace

SectionBytes Model::section_bytes() const {
  return measure_sections(*file_, [](std::span<const uint8_t> s) { return uint64_t{s.size()}; });
}
SectionBytes Model::resident_bytes() const {
  return measure_sections(*file_,
                          [](std::span<const uint8_t> s) { return runtime::resident_bytes(s.data(), s.size()); });
}
SectionBytes Model::cached_bytes() const {
  return measure_sections(*file_, [](std::span<const uint8_t> s) { return runtime::cached_bytes(s.data(), s.size()); });
}

}  // namespace nestrt::runtime
