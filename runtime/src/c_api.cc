// The C API: argument checks, exception-to-status translation and the per-thread error message.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <system_error>

#include "executor.h"
#include "model.h"
#include "nestrt/format/model_file.h"
#include "nestrt/nestrt.h"
#include "session.h"

struct nestrt_model {
  std::unique_ptr<nestrt::runtime::Model> impl;
};
struct nestrt_session {
  std::unique_ptr<nestrt::runtime::Session> impl;
};

namespace {

thread_local std::string g_last_error;
thread_local const char* g_unstored_error = nullptr;  // when storing the message itself ran out of memory

constexpr uint32_t kMaxThreads = 256;  // nestrt_session_options.threads

// Never throws: it runs inside catch blocks, where an escaping exception would end the process.
nestrt_status fail(nestrt_status status, const char* message) noexcept {
  try {
    g_last_error.assign(message);
    g_unstored_error = nullptr;
  } catch (...) {
    g_last_error.clear();
    g_unstored_error = "out of memory (while storing an error message)";
  }
  return status;
}
nestrt_status fail(nestrt_status status, const std::string& message) noexcept {
  return fail(status, message.c_str());
}

nestrt_status status_of(nestrt::format::ErrorCode code) {
  using nestrt::format::ErrorCode;
  switch (code) {
    case ErrorCode::kIo: return NESTRT_IO_ERROR;
    case ErrorCode::kBadVersion: return NESTRT_UNSUPPORTED;
    default: return NESTRT_INVALID_MODEL;
  }
}

// Runs fn, mapping every exception to a status and a message: nothing escapes into C.
template <typename Fn>
nestrt_status guarded(Fn fn) {
  try {
    g_last_error.clear();
    g_unstored_error = nullptr;
    return fn();
  } catch (const nestrt::format::FormatError& e) {
    return fail(status_of(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(NESTRT_OUT_OF_MEMORY, "out of memory");
  } catch (const std::system_error& e) {
    return fail(NESTRT_IO_ERROR, e.what());
  } catch (const nestrt::runtime::UnsupportedError& e) {
    return fail(NESTRT_UNSUPPORTED, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(NESTRT_INVALID_ARGUMENT, e.what());
  } catch (const std::exception& e) {
    return fail(NESTRT_INTERNAL_ERROR, e.what());
  } catch (...) {
    return fail(NESTRT_INTERNAL_ERROR, "unknown exception");
  }
}

bool valid_mode(nestrt_mode mode) {
  return mode == NESTRT_MODE_FULL || mode == NESTRT_MODE_PART;
}

void fill_switch_info(const nestrt::runtime::Model& m, const nestrt::runtime::SwitchResult& r,
                      nestrt_switch_info* info) {
  if (info == nullptr) return;
  *info = {m.mode_of(r.previous),  m.mode_of(r.level), r.bytes_paged, r.duration_ns, r.previous, r.level,
           m.weight_bytes(r.level)};
}

nestrt_status copy_shape(const std::vector<int64_t>& shape, int64_t* dims, size_t* rank) {
  if (dims == nullptr || rank == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "dims and rank must not be NULL");
  if (*rank < shape.size()) {
    const std::string need = std::to_string(shape.size());
    *rank = shape.size();
    return fail(NESTRT_INVALID_ARGUMENT, "dims has room for fewer than " + need + " dimensions");
  }
  std::copy(shape.begin(), shape.end(), dims);
  *rank = shape.size();
  return NESTRT_OK;
}

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

extern "C" {

void nestrt_model_options_init(nestrt_model_options* options) {
  if (options == nullptr) return;
  options->initial_mode = NESTRT_MODE_FULL;
  options->verify_checksums = 1;
  options->evict_page_cache = 0;
}

nestrt_status nestrt_model_load(const char* path, const nestrt_model_options* options, nestrt_model** model) {
  return guarded([&] {
    if (path == nullptr || model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "path and model must not be NULL");
    *model = nullptr;
    nestrt_model_options opts;
    nestrt_model_options_init(&opts);
    if (options != nullptr) opts = *options;
    if (!valid_mode(opts.initial_mode)) return fail(NESTRT_INVALID_ARGUMENT, "unknown initial_mode");
    auto handle = std::make_unique<nestrt_model>();
    handle->impl = nestrt::runtime::Model::load(path, opts);
    *model = handle.release();
    return NESTRT_OK;
  });
}

void nestrt_model_release(nestrt_model* model) {
  delete model;
}

nestrt_status nestrt_model_input_shape(const nestrt_model* model, int64_t* dims, size_t* rank) {
  if (model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model must not be NULL");
  return copy_shape(model->impl->plan().input_shape, dims, rank);
}

nestrt_status nestrt_model_output_shape(const nestrt_model* model, int64_t* dims, size_t* rank) {
  if (model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model must not be NULL");
  return copy_shape(model->impl->plan().output_shape, dims, rank);
}

size_t nestrt_model_label_count(const nestrt_model* model) {
  if (model == nullptr) return 0;
  const auto* labels = model->impl->file().model().labels();
  return labels == nullptr ? 0 : labels->size();
}

const char* nestrt_model_label(const nestrt_model* model, size_t index) {
  if (index >= nestrt_model_label_count(model)) return nullptr;
  const auto* label = model->impl->file().model().labels()->Get(static_cast<uint32_t>(index));
  return label == nullptr ? "" : label->c_str();
}

nestrt_status nestrt_model_preprocess(const nestrt_model* model, nestrt_preprocess* preprocess) {
  if (model == nullptr || preprocess == nullptr)
    return fail(NESTRT_INVALID_ARGUMENT, "model and preprocess must not be NULL");
  const auto& plan = model->impl->plan();
  const uint32_t channels = plan.input_shape.size() == 4 ? static_cast<uint32_t>(plan.input_shape[1]) : 1;
  *preprocess = {};
  preprocess->scale = 1.0f / 255.0f;
  preprocess->channels = channels > 4 ? 4 : channels;
  for (uint32_t c = 0; c < 4; ++c) preprocess->mean[c] = 0.f, preprocess->std[c] = 1.f;
  const auto* p = model->impl->file().model().preprocess();
  if (p == nullptr) return NESTRT_OK;
  preprocess->scale = p->scale();
  preprocess->color = static_cast<nestrt_color>(p->color());
  // mean/std hold 0 values (defaults), 1 value (every channel) or one per channel.
  auto fill = [&](const flatbuffers::Vector<float>* v, float* out) {
    if (v == nullptr || v->size() == 0) return;
    for (uint32_t c = 0; c < preprocess->channels; ++c)
      out[c] = v->Get(v->size() == 1 ? 0 : std::min(c, v->size() - 1));
  };
  fill(p->mean(), preprocess->mean);
  fill(p->std(), preprocess->std);
  return NESTRT_OK;
}

nestrt_status nestrt_model_image_geometry(const nestrt_model* model, nestrt_image_geometry* geometry) {
  if (model == nullptr || geometry == nullptr)
    return fail(NESTRT_INVALID_ARGUMENT, "model and geometry must not be NULL");
  *geometry = {};
  const auto* p = model->impl->file().model().preprocess();
  if (p == nullptr) return NESTRT_OK;
  // The validator checked every field in 0..2^16.
  geometry->resize_shorter = static_cast<uint32_t>(p->resize_shorter());
  geometry->resize_height = static_cast<uint32_t>(p->resize_height());
  geometry->resize_width = static_cast<uint32_t>(p->resize_width());
  geometry->crop_height = static_cast<uint32_t>(p->crop_height());
  geometry->crop_width = static_cast<uint32_t>(p->crop_width());
  return NESTRT_OK;
}

nestrt_status nestrt_switch(nestrt_model* model, nestrt_mode mode, nestrt_switch_info* info) {
  return guarded([&] {
    if (model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model must not be NULL");
    if (mode == NESTRT_MODE_GRADED) {
      return fail(NESTRT_INVALID_ARGUMENT, "graded mode is reached with nestrt_switch_level or nestrt_switch_budget");
    }
    if (!valid_mode(mode)) return fail(NESTRT_INVALID_ARGUMENT, "unknown mode " + std::to_string(int(mode)));
    const auto r = model->impl->switch_to(mode);
    fill_switch_info(*model->impl, r, info);
    return NESTRT_OK;
  });
}

uint32_t nestrt_model_level_count(const nestrt_model* model) {
  return model == nullptr ? 0 : model->impl->level_count();
}

nestrt_status nestrt_model_level_info(const nestrt_model* model, uint32_t level, nestrt_level_info* info) {
  return guarded([&] {
    if (model == nullptr || info == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model and info must not be NULL");
    const auto& m = *model->impl;
    if (level > m.level_count()) {
      return fail(NESTRT_INVALID_ARGUMENT,
                  "level " + std::to_string(level) + " is out of range (0.." + std::to_string(m.level_count()) + ")");
    }
    const auto& release = m.plan().release;
    *info = {m.weight_bytes(level), 0.f, 1.f, nullptr};
    if (level > 0 && level <= release.size()) {
      const auto& step = release[level - 1];
      info->estimated_error = step.step_error;
      info->estimated_agreement = step.step_agreement;
      const auto* name = m.file().model().graph()->operators()->Get(static_cast<uint32_t>(step.op))->name();
      info->layer = name != nullptr ? name->c_str() : "";
    }
    return NESTRT_OK;
  });
}

nestrt_status nestrt_switch_level(nestrt_model* model, uint32_t level, nestrt_switch_info* info) {
  return guarded([&] {
    if (model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model must not be NULL");
    fill_switch_info(*model->impl, model->impl->switch_to_level(level), info);
    return NESTRT_OK;
  });
}

nestrt_status nestrt_switch_budget(nestrt_model* model, uint64_t max_weight_bytes, nestrt_switch_info* info) {
  return guarded([&] {
    if (model == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model must not be NULL");
    auto& m = *model->impl;
    fill_switch_info(m, m.switch_to_level(m.level_for_budget(max_weight_bytes)), info);
    return NESTRT_OK;
  });
}

nestrt_status nestrt_model_stats(const nestrt_model* model, nestrt_stats* stats) {
  return guarded([&] {
    if (model == nullptr || stats == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "model and stats must not be NULL");
    const auto& m = *model->impl;
    const auto sizes = m.section_bytes();
    const auto resident = m.resident_bytes();
    const auto cached = m.cached_bytes();
    *stats = {};
    stats->mode = m.mode();
    stats->total_bits = m.file().model().nesting()->total_bits();
    stats->high_bits = m.file().model().nesting()->high_bits();
    stats->file_bytes = m.file().file_size();
    stats->metadata_bytes = sizes.metadata;
    stats->high_bytes = sizes.high;
    stats->low_bytes = sizes.low;
    stats->high_resident_bytes = resident.high;
    stats->low_resident_bytes = resident.low;
    stats->high_cached_bytes = cached.high;
    stats->low_cached_bytes = cached.low;
    stats->switch_count = m.switch_count();
    stats->last_switch_ns = m.last_switch_ns();
    stats->arena_bytes = m.arena().arena_bytes;
    stats->unshared_bytes = m.arena().unshared_bytes;
    stats->level = m.level();
    stats->level_count = m.level_count();
    for (size_t b = 0; b < NESTRT_SWITCH_HISTOGRAM_BUCKETS; ++b) stats->switch_histogram[b] = m.switch_histogram(b);
    return NESTRT_OK;
  });
}

void nestrt_session_options_init(nestrt_session_options* options) {
  if (options == nullptr) return;
  *options = {};
  options->threads = 1;
  options->backend = NESTRT_BACKEND_NATIVE;
}

nestrt_status nestrt_session_create(nestrt_model* model, const nestrt_session_options* options,
                                    nestrt_session** session) {
  return guarded([&] {
    if (model == nullptr || session == nullptr)
      return fail(NESTRT_INVALID_ARGUMENT, "model and session must not be NULL");
    nestrt_session_options opts;
    nestrt_session_options_init(&opts);
    if (options != nullptr) opts = *options;
    if (opts.threads > kMaxThreads) {
      return fail(NESTRT_INVALID_ARGUMENT, "threads is " + std::to_string(opts.threads) + "; at most " +
                                               std::to_string(kMaxThreads) + " are supported");
    }
    if (opts.backend != NESTRT_BACKEND_NATIVE && opts.backend != NESTRT_BACKEND_XNNPACK) {
      return fail(NESTRT_INVALID_ARGUMENT, "unknown backend " + std::to_string(int(opts.backend)));
    }
    auto handle = std::make_unique<nestrt_session>();
    nestrt::runtime::SessionOptions session_options;
    session_options.poison = opts.debug_checks != 0;
    session_options.threads = opts.threads > 1 ? opts.threads : 1;
    session_options.backend = opts.backend;
    session_options.profile = opts.profile_ops != 0;
    handle->impl = std::make_unique<nestrt::runtime::Session>(*model->impl, session_options);
    *session = handle.release();
    return NESTRT_OK;
  });
}

void nestrt_session_destroy(nestrt_session* session) {
  delete session;
}

nestrt_status nestrt_run(nestrt_session* session, const float* input, size_t input_count, float* output,
                         size_t output_count, nestrt_mode* mode_used) {
  return guarded([&] {
    if (session == nullptr || input == nullptr || output == nullptr) {
      return fail(NESTRT_INVALID_ARGUMENT, "session, input and output must not be NULL");
    }
    const auto& plan = session->impl->model().plan();
    const size_t want_in = element_count(plan.input_shape), want_out = element_count(plan.output_shape);
    if (input_count != want_in || output_count != want_out) {
      return fail(NESTRT_INVALID_ARGUMENT, "wrong buffer sizes: input has " + std::to_string(input_count) +
                                               " elements (model needs " + std::to_string(want_in) + "), output " +
                                               std::to_string(output_count) + " (model gives " +
                                               std::to_string(want_out) + ")");
    }
    const uint32_t level = session->impl->run(input, output);
    session->impl->last_level = level;
    if (mode_used != nullptr) *mode_used = session->impl->model().mode_of(level);
    return NESTRT_OK;
  });
}

uint32_t nestrt_session_last_level(const nestrt_session* session) {
  return session == nullptr ? 0 : session->impl->last_level;
}

nestrt_status nestrt_session_op_profile(const nestrt_session* session, nestrt_op_profile* ops, size_t capacity,
                                        size_t* count) {
  return guarded([&] {
    if (session == nullptr || count == nullptr)
      return fail(NESTRT_INVALID_ARGUMENT, "session and count must not be NULL");
    if (ops == nullptr && capacity != 0) return fail(NESTRT_INVALID_ARGUMENT, "ops is NULL but capacity is not 0");
    const nestrt::runtime::Session& s = *session->impl;
    if (!s.profiles()) {
      return fail(NESTRT_INVALID_ARGUMENT, "the session was created without profile_ops: it keeps no profile");
    }
    const auto& plan_ops = session->impl->model().plan().ops;
    *count = plan_ops.size();
    for (size_t i = 0; i < std::min(capacity, plan_ops.size()); ++i) {
      ops[i].name = plan_ops[i].name.c_str();
      ops[i].type = nestrt::runtime::op_type_name(plan_ops[i]);
      ops[i].macs = nestrt::runtime::op_macs(plan_ops[i]);
      ops[i].runs = s.profiled_runs();
      ops[i].total_ns = s.op_ns()[i];
    }
    return NESTRT_OK;
  });
}

nestrt_status nestrt_session_op_profile_reset(nestrt_session* session) {
  return guarded([&] {
    if (session == nullptr) return fail(NESTRT_INVALID_ARGUMENT, "session must not be NULL");
    if (!session->impl->profiles()) {
      return fail(NESTRT_INVALID_ARGUMENT, "the session was created without profile_ops: it keeps no profile");
    }
    session->impl->reset_profile();
    return NESTRT_OK;
  });
}

const char* nestrt_status_string(nestrt_status status) {
  switch (status) {
    case NESTRT_OK: return "ok";
    case NESTRT_INVALID_ARGUMENT: return "invalid argument";
    case NESTRT_IO_ERROR: return "I/O error";
    case NESTRT_INVALID_MODEL: return "invalid model";
    case NESTRT_UNSUPPORTED: return "unsupported";
    case NESTRT_OUT_OF_MEMORY: return "out of memory";
    case NESTRT_INTERNAL_ERROR: return "internal error";
    case NESTRT_STATUS_MAX_ENUM: break;
  }
  return "unknown status";
}

const char* nestrt_last_error(void) {
  return g_unstored_error != nullptr ? g_unstored_error : g_last_error.c_str();
}

const char* nestrt_version(void) {
  return NESTRT_VERSION_STRING;
}

}  // extern "C"
