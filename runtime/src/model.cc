#include "model.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>

#include "paging.h"

namespace nestrt::runtime {

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

std::unique_ptr<Model> Model::load(const std::string& path, const nestrt_model_options& options) {
  std::unique_ptr<Model> model(new Model());
  format::OpenOptions open_options;
  open_options.verify_checksums = options.verify_checksums != 0;
  model->file_ = format::ModelFile::open(path, open_options);
  model->guard_ = std::make_unique<MappingGuard>(model->file_->mapping().data(), model->file_->mapping().size());
  model->section_bytes_ =
      measure_sections(*model->file_, [](std::span<const uint8_t> s) { return uint64_t{s.size()}; });
  model->plan_ = build_graph_plan(*model->file_);
  model->arena_ = plan_arena(model->plan_);
  check_arena_plan(model->plan_, model->arena_);
  // A model without weighted ops still has two modes (they compute the same thing).
  model->level_count_ = std::max<uint32_t>(1, static_cast<uint32_t>(model->plan_.release.size()));
  model->runs_.assign(model->level_count_ + 1, 0);
  model->page_size_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  model->level_ = options.initial_mode == NESTRT_MODE_FULL ? 0 : model->level_count_;
  model->evict_page_cache_ = options.evict_page_cache != 0;
  // Checksum verification read every section; a part-mode start releases the low planes again.
  if (model->level_ != 0) model->page_low(false);
  return model;
}

void Model::check_mapping_intact() const {
  if (const uint64_t faults = guard_->faults(); faults != 0) {
    throw std::system_error(EIO, std::generic_category(),
                            file_->path() + ": the model file was truncated or rewritten while loaded (" +
                                std::to_string(faults) +
                                " page(s) of its mapping lost); results are discarded "
                                "until the model is reloaded");
  }
}

uint32_t Model::level() const {
  std::lock_guard lock(mutex_);
  return level_;
}

nestrt_mode Model::mode_of(uint32_t level) const {
  return level == 0 ? NESTRT_MODE_FULL : level == level_count_ ? NESTRT_MODE_PART : NESTRT_MODE_GRADED;
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

const uint8_t* Model::release_boundary(uint32_t level) const {
  const auto section = file_->section_bytes(plan_.release[0].section);
  if (level == 0) return section.data();
  if (level >= plan_.release.size()) return section.data() + section.size();
  // The page holding the end of the last released plane may hold the next plane too: it stays.
  const auto end = reinterpret_cast<uintptr_t>(plan_.release[level - 1].low_end);
  return std::max(section.data(), reinterpret_cast<const uint8_t*>(end / page_size_ * page_size_));
}

uint64_t Model::release_range(uint32_t from, uint32_t to) const {
  const uint8_t* begin = release_boundary(from);
  const uint8_t* end = release_boundary(to);
  if (end <= begin) return 0;
  const uint64_t bytes = page_out(begin, static_cast<size_t>(end - begin));
  if (evict_page_cache_) {
    const auto& info = file_->sections()[plan_.release[0].section];
    const uint8_t* section = file_->section_bytes(plan_.release[0].section).data();
    drop_from_page_cache(file_->fd(), info.offset + static_cast<uint64_t>(begin - section),
                         static_cast<uint64_t>(end - begin));
  }
  return bytes;
}

uint64_t Model::restore_range(uint32_t from, uint32_t to) const {
  const uint8_t* begin = plan_.release[from].low_begin;
  const uint8_t* end = plan_.release[std::min<size_t>(to, plan_.release.size()) - 1].low_end;
  const uint64_t bytes = page_in(begin, static_cast<size_t>(end - begin));
  // Populating faults map neighbouring cached pages too (the kernel's fault-around), including
  // planes that stay released: unmap those again. No run reads them (they are below every level
  // in use), and the pages stay in the page cache, so this costs no I/O.
  if (from > 0) {
    const uint8_t* section = file_->section_bytes(plan_.release[0].section).data();
    const uint8_t* released_end = release_boundary(from);
    if (released_end > section) page_out(section, static_cast<size_t>(released_end - section));
  }
  return bytes;
}

uint64_t Model::weight_bytes(uint32_t level) const {
  const SectionBytes sizes = section_bytes();
  if (level == 0 || plan_.release.empty()) return sizes.high + sizes.low;
  if (level >= level_count_) return sizes.high;
  const auto section = file_->section_bytes(plan_.release[0].section);
  return sizes.high + sizes.low - static_cast<uint64_t>(release_boundary(level) - section.data());
}

uint32_t Model::level_for_budget(uint64_t max_weight_bytes) const {
  if (!plan_.graded) return weight_bytes(0) <= max_weight_bytes ? 0 : level_count_;
  for (uint32_t level = 0; level < level_count_; ++level) {
    if (weight_bytes(level) <= max_weight_bytes) return level;
  }
  return level_count_;
}

namespace {
// Best-effort clean-up after a failed page-in (releasing what it populated): its own failure only
// leaves more resident memory, so it must not replace the error being reported.
template <typename Fn>
void undo(Fn fn) noexcept {
  try {
    fn();
  } catch (...) {
  }
}
}  // namespace

SwitchResult Model::switch_to_level(uint32_t target) {
  const auto start = std::chrono::steady_clock::now();
  if (target > level_count_) {
    throw std::invalid_argument("level " + std::to_string(target) + " is out of range (0.." +
                                std::to_string(level_count_) + ")");
  }
  if (target != 0 && target != level_count_ && !plan_.graded) {
    throw UnsupportedError("graded levels need every low plane in one section, and " + file_->path() +
                           " has several (use full or part)");
  }
  std::lock_guard serial(switch_mutex_);
  SwitchResult result{level(), target};
  if (result.previous == target) return result;
  const bool whole = plan_.release.empty() ||
                     (std::min(result.previous, target) == 0 && std::max(result.previous, target) == level_count_);
  // A switch that fails (madvise refused, the file shrank) changes nothing: the model keeps
  // serving the level it had, and the error goes to the caller.
  if (target < result.previous) {
    // Page in first: runs keep using the old level until every page they will need is resident.
    file_->check_unchanged_size();  // pages past a new end of file would raise SIGBUS
    try {
      result.bytes_paged = whole ? page_low(true) : restore_range(target, result.previous);
    } catch (...) {
      undo([&] { whole ? page_low(false) : release_range(target, result.previous); });
      throw;
    }
    std::lock_guard lock(mutex_);
    level_ = target;
  } else {
    {
      std::unique_lock lock(mutex_);
      level_ = target;  // new runs start at the new level from here on
      // Wait for the runs that may read the planes being released: every run below the target.
      idle_.wait(lock,
                 [&] { return std::all_of(runs_.begin(), runs_.begin() + target, [](int n) { return n == 0; }); });
    }
    try {
      result.bytes_paged = whole ? page_low(false) : release_range(result.previous, target);
    } catch (...) {
      // Pages already released fault back in from the file when the old level reads them.
      std::lock_guard lock(mutex_);
      level_ = result.previous;
      throw;
    }
  }
  result.duration_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  switch_count_.fetch_add(1);
  last_switch_ns_.store(result.duration_ns);
  switch_histogram_[switch_bucket(result.duration_ns)].fetch_add(1);
  return result;
}

uint32_t Model::begin_run() {
  std::lock_guard lock(mutex_);
  ++runs_[level_];
  return level_;
}

void Model::end_run(uint32_t level) {
  std::lock_guard lock(mutex_);
  if (--runs_[level] == 0) idle_.notify_all();
}

SectionBytes Model::resident_bytes() const {
  return measure_sections(*file_,
                          [](std::span<const uint8_t> s) { return runtime::resident_bytes(s.data(), s.size()); });
}
SectionBytes Model::cached_bytes() const {
  return measure_sections(*file_, [](std::span<const uint8_t> s) { return runtime::cached_bytes(s.data(), s.size()); });
}

}  // namespace nestrt::runtime
