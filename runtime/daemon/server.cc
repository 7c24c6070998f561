#include "server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "log.h"

namespace nestrt::daemon {

namespace p = protocol;

int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

const char* mode_name(nestrt_mode m) {
  return m == NESTRT_MODE_PART ? "part" : m == NESTRT_MODE_GRADED ? "graded" : "full";
}

// budget * part / whole without overflowing 64 bits; the whole budget when part is everything.
uint64_t share_of(uint64_t budget, uint64_t part, uint64_t whole) {
  if (whole == 0 || part >= whole) return budget;
  return budget / whole * part +
         static_cast<uint64_t>(static_cast<long double>(budget % whole) * static_cast<long double>(part) /
                               static_cast<long double>(whole));
}

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::vector<int64_t> shape_of(nestrt_model* m, bool input) {
  std::vector<int64_t> dims(8);
  size_t rank = dims.size();
  const nestrt_status s =
      input ? nestrt_model_input_shape(m, dims.data(), &rank) : nestrt_model_output_shape(m, dims.data(), &rank);
  if (s != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  dims.resize(rank);
  return dims;
}

std::shared_ptr<LoadedModel> load_model(const ModelConfig& mc, nestrt_mode mode) {
  auto lm = std::make_shared<LoadedModel>();
  lm->config = mc;
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = mode;
  o.verify_checksums = mc.verify_checksums ? 1 : 0;
  if (nestrt_model_load(mc.path.c_str(), &o, &lm->model) != NESTRT_OK) {
    throw std::runtime_error("model '" + mc.name + "': " + nestrt_last_error());
  }
  lm->input_dims = shape_of(lm->model, true);
  lm->output_dims = shape_of(lm->model, false);
  lm->input_count = lm->output_count = 1;
  for (int64_t d : lm->input_dims) lm->input_count *= static_cast<size_t>(d);
  for (int64_t d : lm->output_dims) lm->output_count *= static_cast<size_t>(d);
  return lm;
}

}  // namespace

LoadedModel::~LoadedModel() {
  nestrt_model_release(model);
}

struct Daemon::Connection {
  Connection(uint64_t id_, int fd_, uint32_t max_frame) : id(id_), fd(fd_), reader(max_frame) {}
  uint64_t id;
  int fd;
  p::FrameReader reader;
  std::vector<uint8_t> out;
  size_t out_at = 0;
  bool busy = false;               // a request of this connection is queued or running
  bool close_after_write = false;  // framing error: flush the error response, then close
  int64_t last_progress_ms = 0;
};

Daemon::Daemon(Config config, std::string config_path)
    : config_(std::move(config)), config_path_(std::move(config_path)), sampler_(config_.governor) {
  start_ms_ = monotonic_ms();
  policy_.mode = config_.initial_mode;
  policy_.automatic = config_.governor.enabled;
  if (pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  try {
    load_models(config_.models, config_.initial_mode);
    bind_socket();
  } catch (...) {  // no destructor runs for a half-built object: release the descriptors here
    for (int fd : wake_pipe_) close(fd);
    if (listen_fd_ >= 0) close(listen_fd_);
    throw;
  }
  log_info("started socket=" + config_.server.socket + " models=" + std::to_string(config_.models.size()) +
           " workers=" + std::to_string(config_.server.workers) + " mode=" + mode_name(policy_.mode) + " policy=" +
           (policy_.automatic ? "auto" : "manual") + " poll_ms=" + std::to_string(config_.governor.poll_ms));
}

Daemon::~Daemon() {
  for (auto& [id, c] : connections_) close(c->fd);
  connections_.clear();
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(config_.server.socket.c_str());
  }
  for (int fd : wake_pipe_)
    if (fd >= 0) close(fd);
}

void Daemon::load_models(const std::vector<ModelConfig>& models, nestrt_mode mode) {
  std::map<std::string, std::shared_ptr<LoadedModel>> loaded;
  for (const auto& mc : models) {
    loaded[mc.name] = load_model(mc, mode);
    log_info("model-loaded name=" + mc.name + " path=" + mc.path +
             " input=" + dims_string(loaded[mc.name]->input_dims) + " mode=" + mode_name(mode));
  }
  std::lock_guard lock(models_mutex_);
  models_ = std::move(loaded);
  ++models_generation_;
}

void Daemon::bind_socket() {
  const ServerConfig& sc = config_.server;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (sc.socket.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + sc.socket);
  std::memcpy(addr.sun_path, sc.socket.c_str(), sc.socket.size() + 1);
  // A stale socket file from a crashed daemon is removed; a live daemon on it is an error.
  struct stat st;
  if (lstat(sc.socket.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(sc.socket + " exists and is not a socket");
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) throw std::runtime_error("another daemon is serving " + sc.socket);
    unlink(sc.socket.c_str());
    log_info("removed stale socket " + sc.socket);
  }
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(errno_text("socket"));
  const mode_t old = umask(0177);  // no window where the socket is more open than configured
  const int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0) throw std::runtime_error(errno_text("bind " + sc.socket));
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!sc.socket_owner.empty()) {
    const passwd* pw = getpwnam(sc.socket_owner.c_str());
    if (!pw) throw std::runtime_error("socket_owner: no user '" + sc.socket_owner + "'");
    uid = pw->pw_uid;
  }
  if (!sc.socket_group.empty()) {
    const group* gr = getgrnam(sc.socket_group.c_str());
    if (!gr) throw std::runtime_error("socket_group: no group '" + sc.socket_group + "'");
    gid = gr->gr_gid;
  }
  if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && chown(sc.socket.c_str(), uid, gid) != 0) {
    throw std::runtime_error(errno_text("chown " + sc.socket));
  }
  if (chmod(sc.socket.c_str(), sc.socket_mode) != 0) throw std::runtime_error(errno_text("chmod " + sc.socket));
  if (listen(listen_fd_, 512) != 0) throw std::runtime_error(errno_text("listen"));
}

void Daemon::wake() {
  const char b = 1;
  [[maybe_unused]] const ssize_t n = write(wake_pipe_[1], &b, 1);  // full pipe: already awake
}

void Daemon::request_stop() {
  stop_flag_ = true;
  wake();
}
void Daemon::request_reload() {
  reload_flag_ = true;
  wake();
}

std::shared_ptr<LoadedModel> Daemon::find_model(const std::string& name) {
  std::lock_guard lock(models_mutex_);
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second;
}

nestrt_mode Daemon::mode() {
  std::lock_guard lock(governor_mutex_);
  return policy_.mode;
}

std::string Daemon::status_text() {
  std::ostringstream s;
  {
    std::lock_guard lock(governor_mutex_);
    s << "protocol=" << int(p::kVersion) << "\nversion=" << nestrt_version() << "\npid=" << getpid()
      << "\nuptime_s=" << (monotonic_ms() - start_ms_) / 1000 << "\nmode=" << mode_name(policy_.mode)
      << "\npolicy=" << (policy_.automatic ? "auto" : "manual") << "\nswitches=" << switches_.load()
      << "\npoll_ms=" << config_.governor.poll_ms << "\nmin_dwell_ms=" << config_.governor.min_dwell_ms
      << "\nlast_decision=" << last_decision_.reason << "\nsignals=" << last_sample_;
  }
  s << "\nconnections=" << connection_count_.load() << "\nrequests=" << requests_.load()
    << "\nfailed_requests=" << failed_requests_.load() << "\nrejected_frames=" << rejected_frames_.load();
  std::map<std::string, std::shared_ptr<LoadedModel>> models;
  {
    std::lock_guard lock(models_mutex_);
    models = models_;
  }
  for (const auto& [name, m] : models) {
    nestrt_stats st{};
    nestrt_model_stats(m->model, &st);
    s << "\nmodel." << name << "=mode:" << mode_name(st.mode) << " input:" << dims_string(m->input_dims)
      << " output:" << dims_string(m->output_dims) << " governed:" << (m->config.governed ? 1 : 0)
      << " nest:" << st.total_bits << ":" << st.high_bits << " low_resident_bytes:" << st.low_resident_bytes
      << " high_resident_bytes:" << st.high_resident_bytes;
  }
  s << "\n";
  return s.str();
}

std::vector<std::shared_ptr<LoadedModel>> Daemon::governed_models() {
  std::lock_guard lock(models_mutex_);
  std::vector<std::shared_ptr<LoadedModel>> governed;
  for (const auto& [name, m] : models_)
    if (m->config.governed) governed.push_back(m);
  return governed;
}

bool Daemon::switch_models(nestrt_mode mode, const std::string& reason, std::string& message) {
  const std::vector<std::shared_ptr<LoadedModel>> governed = governed_models();
  const nestrt_mode from = policy_.mode;
  bool ok = true;
  uint64_t bytes = 0, ns = 0;
  for (const auto& m : governed) {
    nestrt_switch_info info{};
    if (nestrt_switch(m->model, mode, &info) != NESTRT_OK) {
      ok = false;
      message = "model '" + m->config.name + "': " + nestrt_last_error();
      log_error("switch-failed model=" + m->config.name + " to=" + mode_name(mode) + " error=\"" + message + "\"");
      continue;
    }
    bytes += info.bytes_paged;
    ns += info.duration_ns;
  }
  if (ok) {
    policy_.mode = mode;
    policy_.last_switch_ms = monotonic_ms();
    if (from != mode) ++switches_;
    message = std::string("switched to ") + mode_name(mode);
    log_info(std::string("switch from=") + mode_name(from) + " to=" + mode_name(mode) + " reason=\"" + reason +
             "\" models=" + std::to_string(governed.size()) + " bytes_paged=" + std::to_string(bytes) +
             " ms=" + std::to_string(ns / 1000000.0));
  }
  return ok;
}

bool Daemon::budget_models(uint64_t budget, std::string& message) {
  const std::vector<std::shared_ptr<LoadedModel>> governed = governed_models();
  uint64_t full = 0;
  for (const auto& m : governed) {
    nestrt_stats st{};
    if (nestrt_model_stats(m->model, &st) == NESTRT_OK) full += st.high_bytes + st.low_bytes;
  }
  const nestrt_mode from = policy_.mode;
  uint64_t kept = 0, bytes = 0, ns = 0;
  std::string levels;
  bool any_full = false, any_part = false, any_graded = false;
  for (const auto& m : governed) {
    // Each model gets the budget's share of its full-mode weight bytes and the lowest graded
    // level (least accuracy lost) that fits it.
    nestrt_stats st{};
    nestrt_model_stats(m->model, &st);
    const uint64_t share = share_of(budget, st.high_bytes + st.low_bytes, full);
    nestrt_switch_info info{};
    if (nestrt_switch_budget(m->model, share, &info) != NESTRT_OK) {
      message = "model '" + m->config.name + "': " + nestrt_last_error();
      log_error("budget-failed model=" + m->config.name + " error=\"" + message + "\"");
      return false;
    }
    kept += info.weight_bytes, bytes += info.bytes_paged, ns += info.duration_ns;
    any_full |= info.mode == NESTRT_MODE_FULL, any_part |= info.mode == NESTRT_MODE_PART;
    any_graded |= info.mode == NESTRT_MODE_GRADED;
    levels += (levels.empty() ? "" : ",") + m->config.name + ":" + std::to_string(info.level) + "/" +
              std::to_string(st.level_count);
  }
  const nestrt_mode mode = any_graded || (any_full && any_part) ? NESTRT_MODE_GRADED
                           : any_part                           ? NESTRT_MODE_PART
                                                                : NESTRT_MODE_FULL;
  policy_.mode = mode;
  policy_.last_switch_ms = monotonic_ms();
  if (from != mode) ++switches_;
  message = std::string(mode_name(mode)) + ": budget " + std::to_string(budget) + " bytes, weights kept " +
            std::to_string(kept) + " of " + std::to_string(full) + " (levels " + levels + ")";
  log_info(std::string("switch from=") + mode_name(from) + " to=" + mode_name(mode) + " reason=\"manual (ctl budget " +
           std::to_string(budget) + ")\" levels=" + levels + " weight_bytes=" + std::to_string(kept) +
           " bytes_paged=" + std::to_string(bytes) + " ms=" + std::to_string(ns / 1000000.0));
  return true;
}

void Daemon::governor_main() {
  std::unique_lock lock(governor_mutex_);
  while (!governor_stop_) {
    const Sample sample = sampler_.sample();
    const int64_t now = monotonic_ms();
    const Decision d = decide(config_.governor, sample, policy_, now);
    last_sample_ = describe(sample);
    const uint64_t poll = polls_.load() + 1;
    if (d.switch_to) {
      std::string message;
      if (switch_models(*d.switch_to, d.reason + " [" + last_sample_ + "]", message)) last_switch_poll_ = poll;
    } else if (d.want_switch && !last_decision_.want_switch) {
      log_info("switch-held reason=\"" + d.reason + "\"");
    } else {
      log_debug("decision mode=" + std::string(mode_name(policy_.mode)) + " reason=\"" + d.reason + "\" [" +
                last_sample_ + "]");
    }
    last_decision_ = d;
    polls_ = poll;
    governor_cv_.wait_for(lock, std::chrono::milliseconds(config_.governor.poll_ms));
  }
}

// --- Workers ----------------------------------------------------------------------------------
void Daemon::worker_main() {
  std::map<LoadedModel*, nestrt_session*> sessions;
  std::vector<std::shared_ptr<LoadedModel>> keep;  // models our sessions belong to
  uint64_t generation = models_generation_.load();
  for (;;) {
    Job job;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return workers_stop_ || !queue_.empty(); });
      if (queue_.empty()) break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (generation != models_generation_.load()) {  // a reload replaced models: drop stale sessions
      generation = models_generation_.load();
      std::erase_if(keep, [&](const std::shared_ptr<LoadedModel>& m) {
        if (find_model(m->config.name) == m) return false;
        nestrt_session_destroy(sessions[m.get()]);
        sessions.erase(m.get());
        return true;
      });
    }
    complete(job.connection, handle(job.request, sessions, keep));
  }
  for (auto& [m, s] : sessions) nestrt_session_destroy(s);
}

// Control requests (status, switch, budget, policy, model info) run here, not on the inference
// workers: a switch that waits for in-flight runs must not take an inference slot, and
// `ctl status` stays responsive when the inference queue is full.
void Daemon::control_main() {
  std::map<LoadedModel*, nestrt_session*> no_sessions;  // control requests never run a model
  std::vector<std::shared_ptr<LoadedModel>> no_models;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(queue_mutex_);
      control_cv_.wait(lock, [&] { return workers_stop_ || !control_queue_.empty(); });
      if (control_queue_.empty()) break;
      job = std::move(control_queue_.front());
      control_queue_.pop_front();
    }
    complete(job.connection, handle(job.request, no_sessions, no_models));
  }
}

void Daemon::complete(uint64_t connection, std::vector<uint8_t> bytes) {
  {
    std::lock_guard lock(completions_mutex_);
    completions_.push_back({connection, std::move(bytes)});
  }
  wake();
}

std::vector<uint8_t> Daemon::handle(const p::Request& request, std::map<LoadedModel*, nestrt_session*>& sessions,
                                    std::vector<std::shared_ptr<LoadedModel>>& keep) {
  const uint8_t rtype = static_cast<uint8_t>(request.type) | p::kResponseBit;
  ++requests_;
  auto fail = [&](p::Code code, const std::string& message) {
    ++failed_requests_;
    return p::encode_response(rtype, request.id, code, message);
  };
  switch (request.type) {
    case p::Type::kInfer: {
      const auto& r = std::get<p::InferRequest>(request.body);
      auto m = find_model(r.model);
      if (!m) return fail(p::Code::kUnknownModel, "no model named '" + r.model + "'");
      if (r.dims != m->input_dims) {
        return fail(p::Code::kWrongShape,
                    "model '" + r.model + "' takes " + dims_string(m->input_dims) + ", got " + dims_string(r.dims));
      }
      nestrt_session*& session = sessions[m.get()];
      if (!session) {
        if (nestrt_session_create(m->model, nullptr, &session) != NESTRT_OK) {
          sessions.erase(m.get());
          return fail(p::Code::kInternal, std::string("session: ") + nestrt_last_error());
        }
        keep.push_back(m);
      }
      p::InferResult result;
      result.dims = m->output_dims;
      result.data.resize(m->output_count);
      nestrt_mode used;
      if (nestrt_run(session, r.data.data(), r.data.size(), result.data.data(), result.data.size(), &used) !=
          NESTRT_OK) {
        return fail(p::Code::kInternal, std::string("run: ") + nestrt_last_error());
      }
      result.mode = static_cast<uint8_t>(used);
      return p::encode_response(rtype, request.id, p::Code::kOk, mode_name(used), p::encode_infer_result(result));
    }
    case p::Type::kStatus: {
      const std::string text = status_text();
      return p::encode_response(rtype, request.id, p::Code::kOk, "status",
                                std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }
    case p::Type::kSwitch: {
      const auto mode = static_cast<nestrt_mode>(std::get<p::SwitchRequest>(request.body).mode);
      std::lock_guard lock(governor_mutex_);
      policy_.automatic = false;
      std::string message;
      if (!switch_models(mode, "manual (ctl switch); governor paused until policy on", message)) {
        return fail(p::Code::kInternal, message);
      }
      return p::encode_response(rtype, request.id, p::Code::kOk, message + "; pinned until `nestrt ctl policy on`");
    }
    case p::Type::kPolicy: {
      const bool on = std::get<p::PolicyRequest>(request.body).enabled;
      {
        std::lock_guard lock(governor_mutex_);
        policy_.automatic = on;
        last_decision_ = {};
      }
      governor_cv_.notify_all();  // decide at once on the current signals
      log_info(std::string("policy ") + (on ? "on: governor decides" : "off: mode pinned") + " (ctl policy)");
      return p::encode_response(rtype, request.id, p::Code::kOk, on ? "policy on" : "policy off");
    }
    case p::Type::kModelInfo: {
      const auto& r = std::get<p::ModelInfoRequest>(request.body);
      auto m = find_model(r.model);
      if (!m) return fail(p::Code::kUnknownModel, "no model named '" + r.model + "'");
      p::ModelInfo info;
      info.input_dims = m->input_dims;
      info.output_dims = m->output_dims;
      nestrt_preprocess pre;
      if (nestrt_model_preprocess(m->model, &pre) == NESTRT_OK) {
        info.scale = pre.scale;
        info.channels = static_cast<uint8_t>(std::min<uint32_t>(pre.channels, 4));
        for (int i = 0; i < 4; ++i) info.mean[i] = pre.mean[i], info.std[i] = pre.std[i];
        info.color = static_cast<uint8_t>(pre.color);
      }
      nestrt_image_geometry geometry;
      if (nestrt_model_image_geometry(m->model, &geometry) == NESTRT_OK) {
        info.geometry[0] = geometry.resize_shorter, info.geometry[1] = geometry.resize_height;
        info.geometry[2] = geometry.resize_width, info.geometry[3] = geometry.crop_height;
        info.geometry[4] = geometry.crop_width;
      }
      nestrt_stats st{};
      nestrt_model_stats(m->model, &st);
      info.mode = static_cast<uint8_t>(st.mode);
      for (size_t i = 0; i < nestrt_model_label_count(m->model); ++i) {
        const char* l = nestrt_model_label(m->model, i);
        info.labels.push_back(l ? l : "");
      }
      return p::encode_response(rtype, request.id, p::Code::kOk, r.model, p::encode_model_info_result(info));
    }
    case p::Type::kBudget: {
      const uint64_t budget = std::get<p::BudgetRequest>(request.body).bytes;
      std::lock_guard lock(governor_mutex_);
      policy_.automatic = false;
      std::string message;
      if (!budget_models(budget, message)) return fail(p::Code::kInternal, message);
      return p::encode_response(rtype, request.id, p::Code::kOk, message + "; pinned until `nestrt ctl policy on`");
    }
    case p::Type::kError: break;
  }
  return fail(p::Code::kUnknownType, "unknown request type");
}

// --- Reload -----------------------------------------------------------------------------------
void Daemon::reload() {
  Config next;
  try {
    next = load_config(config_path_);
  } catch (const std::exception& e) {
    log_error(std::string("reload-failed keeping the running config: ") + e.what());
    return;
  }
  const ServerConfig& a = config_.server;
  const ServerConfig& b = next.server;
  if (a.socket != b.socket || a.socket_mode != b.socket_mode || a.socket_owner != b.socket_owner ||
      a.socket_group != b.socket_group || a.workers != b.workers) {
    log_warning("reload: socket and workers changes take effect at the next restart");
  }
  std::lock_guard governor_lock(governor_mutex_);
  std::map<std::string, std::shared_ptr<LoadedModel>> models;
  size_t added = 0, kept = 0;
  try {
    for (const auto& mc : next.models) {
      auto old = find_model(mc.name);
      if (old && old->config == mc) {
        models[mc.name] = old;
        ++kept;
      } else {
        models[mc.name] = load_model(mc, policy_.mode);
        ++added;
      }
    }
  } catch (const std::exception& e) {
    log_error(std::string("reload-failed keeping the running config: ") + e.what());
    return;
  }
  size_t removed;
  {
    std::lock_guard lock(models_mutex_);
    removed = models_.size() - kept;
    models_ = std::move(models);
    ++models_generation_;
  }
  config_.server.max_clients = b.max_clients;
  config_.server.max_frame_bytes = b.max_frame_bytes;
  config_.server.queue_depth = b.queue_depth;
  config_.server.idle_timeout_ms = b.idle_timeout_ms;
  config_.server.drain_timeout_ms = b.drain_timeout_ms;
  config_.models = next.models;
  config_.governor = next.governor;
  sampler_.reconfigure(next.governor);
  governor_cv_.notify_all();
  log_info("reloaded config=" + config_path_ + " models=" + std::to_string(config_.models.size()) +
           " loaded=" + std::to_string(added) + " kept=" + std::to_string(kept) +
           " dropped=" + std::to_string(removed) + " clients kept=" + std::to_string(connections_.size()));
}

// --- Event loop -------------------------------------------------------------------------------
bool Daemon::read_connection(Connection& c) {
  uint8_t buf[65536];
  for (int i = 0; i < 4; ++i) {  // at most 256 KiB per wakeup: fairness between clients
    const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.reader.append(buf, static_cast<size_t>(n));
      c.last_progress_ms = monotonic_ms();
      if (static_cast<size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

void Daemon::event_loop() {
  bool draining = false;
  int64_t drain_deadline = 0;
  int64_t accept_paused_until = 0, next_fd_warning = 0;
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  auto drop = [&](uint64_t id, const char* why) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    log_debug("client-dropped id=" + std::to_string(id) + " reason=" + why);
    close(it->second->fd);
    connections_.erase(it);
    connection_count_ = connections_.size();
  };
  auto flush = [&](Connection& c) -> bool {  // false: connection gone
    while (c.out_at < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.out_at += static_cast<size_t>(n);
        c.last_progress_ms = monotonic_ms();
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0 && errno == EINTR) continue;
      drop(c.id, "write failed");
      return false;
    }
    c.out.clear();
    c.out_at = 0;
    if (c.close_after_write) {
      drop(c.id, "protocol error");
      return false;
    }
    return true;
  };
  auto respond = [&](Connection& c, std::vector<uint8_t> bytes) {
    c.out.insert(c.out.end(), bytes.begin(), bytes.end());
  };
  auto process = [&](Connection& c) {
    p::Header h;
    std::vector<uint8_t> payload;
    p::Error err;
    while (!c.busy && !c.close_after_write) {
      const auto r = c.reader.next(h, payload, err);
      if (r == p::FrameReader::Result::kNeedMore) break;
      if (r == p::FrameReader::Result::kError) {
        ++rejected_frames_;
        log_debug("bad-frame id=" + std::to_string(c.id) + " error=\"" + err.message + "\"");
        respond(c, p::encode_response(static_cast<uint8_t>(p::Type::kError), 0, err.code, err.message));
        c.close_after_write = true;
        break;
      }
      auto req = p::parse_request(h, payload, err);
      const uint8_t rtype = static_cast<uint8_t>(h.type | p::kResponseBit);
      if (!req) {
        ++rejected_frames_;
        respond(c, p::encode_response(rtype, h.id, err.code, err.message));
        continue;
      }
      if (draining) {
        respond(c, p::encode_response(rtype, h.id, p::Code::kShuttingDown, "daemon is shutting down"));
        continue;
      }
      const bool inference = req->type == p::Type::kInfer;
      std::lock_guard lock(queue_mutex_);
      std::deque<Job>& queue = inference ? queue_ : control_queue_;
      if (queue.size() >= config_.server.queue_depth) {
        respond(c, p::encode_response(rtype, h.id, p::Code::kBusy, "request queue full; retry"));
        continue;
      }
      queue.push_back({c.id, std::move(*req)});
      ++accepted_;
      c.busy = true;
      (inference ? queue_cv_ : control_cv_).notify_one();
    }
  };

  for (;;) {
    if (stop_flag_ && !draining) {
      draining = true;
      drain_deadline = monotonic_ms() + config_.server.drain_timeout_ms;
      close(listen_fd_);
      listen_fd_ = -1;
      unlink(config_.server.socket.c_str());
      size_t busy = 0;
      for (auto& [id, c] : connections_) busy += c->busy;
      log_info("stopping: draining in_flight=" + std::to_string(busy) +
               " clients=" + std::to_string(connections_.size()));
    }
    if (reload_flag_.exchange(false)) {
      reload();
    }
    std::vector<Completion> done;
    {
      std::lock_guard lock(completions_mutex_);
      done.swap(completions_);
    }
    for (auto& d : done) {
      auto it = connections_.find(d.connection);
      if (it == connections_.end()) continue;  // the client vanished mid-request
      Connection& c = *it->second;
      c.busy = false;
      respond(c, std::move(d.bytes));
      process(c);  // pipelined frames already buffered
      if (flush(c) == false) continue;
    }
    if (draining) {
      bool idle = true;
      for (auto& [id, c] : connections_) idle = idle && !c->busy && c->out.empty();
      if (idle || monotonic_ms() > drain_deadline) {
        if (!idle) log_warning("drain timeout: closing clients with requests in flight");
        break;
      }
    }

    fds.clear();
    ids.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    ids.push_back(0);
    size_t listen_index = 0;  // 0: not polled this round
    if (listen_fd_ >= 0 && monotonic_ms() >= accept_paused_until) {
      listen_index = fds.size();
      fds.push_back({listen_fd_, POLLIN, 0});
      ids.push_back(0);
    }
    const size_t first_conn = fds.size();
    for (auto& [id, c] : connections_) {
      short events = 0;
      if (!c->busy && c->out.empty() && !c->close_after_write) events |= POLLIN;
      if (!c->out.empty()) events |= POLLOUT;
      fds.push_back({c->fd, events, 0});
      ids.push_back(id);
    }
    const int ready = poll(fds.data(), fds.size(), 250);
    if (ready < 0 && errno != EINTR) {
      log_error(errno_text("poll"));
      break;
    }
    if (fds[0].revents & POLLIN) {
      char buf[256];
      while (read(wake_pipe_[0], buf, sizeof buf) > 0) {
      }
    }
    if (listen_index && (fds[listen_index].revents & POLLIN)) {
      for (int i = 0; i < 128; ++i) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EMFILE || errno == ENFILE) {
            // Out of descriptors: the pending connection stays readable, so stop polling the
            // socket for a moment instead of spinning; warn at most every 10 s.
            const int64_t now = monotonic_ms();
            accept_paused_until = now + 100;
            if (now >= next_fd_warning) {
              log_warning(errno_text("accept") + " (raise LimitNOFILE or lower server.max_clients)");
              next_fd_warning = now + 10000;
            }
          }
          break;
        }
        if (connections_.size() >= config_.server.max_clients) {
          const auto busy = p::encode_response(static_cast<uint8_t>(p::Type::kError), 0, p::Code::kBusy,
                                               "too many clients (max_clients); retry");
          [[maybe_unused]] const ssize_t n = send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          close(fd);
          continue;
        }
        const uint64_t id = next_connection_id_++;
        auto c = std::make_unique<Connection>(id, fd, config_.server.max_frame_bytes);
        c->last_progress_ms = monotonic_ms();
        connections_.emplace(id, std::move(c));
      }
      connection_count_ = connections_.size();
    }
    for (size_t i = first_conn; i < fds.size(); ++i) {
      auto it = connections_.find(ids[i]);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      const short rev = fds[i].revents;
      if (rev & (POLLERR | POLLNVAL)) {
        drop(c.id, "socket error");
        continue;
      }
      if (rev & (POLLIN | POLLHUP)) {
        if (!read_connection(c)) {
          drop(c.id, "client closed");
          continue;
        }
        process(c);
      }
      if (!c.out.empty() && !flush(c)) continue;
    }
    // A client stalled inside a frame (slowloris) is dropped after idle_timeout_ms.
    const int64_t now = monotonic_ms();
    std::vector<uint64_t> stalled;
    for (auto& [id, c] : connections_) {
      const bool mid_frame = c->reader.buffered() > 0 && !c->busy;
      if ((mid_frame || !c->out.empty()) && now - c->last_progress_ms > config_.server.idle_timeout_ms) {
        stalled.push_back(id);
      }
      if (!mid_frame && c->out.empty()) c->last_progress_ms = now;
    }
    for (uint64_t id : stalled) drop(id, "stalled mid-frame");
  }
}

int Daemon::run() {
  for (unsigned i = 0; i < config_.server.workers; ++i) workers_.emplace_back([this] { worker_main(); });
  workers_.emplace_back([this] { control_main(); });
  governor_ = std::thread([this] { governor_main(); });
  event_loop();
  {
    std::lock_guard lock(governor_mutex_);
    governor_stop_ = true;
  }
  governor_cv_.notify_all();
  governor_.join();
  {
    std::lock_guard lock(queue_mutex_);
    workers_stop_ = true;
  }
  queue_cv_.notify_all();
  control_cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  for (auto& [id, c] : connections_) close(c->fd);
  connections_.clear();
  connection_count_ = 0;
  log_info("stopped requests=" + std::to_string(requests_.load()) + " failed=" + std::to_string(failed_requests_) +
           " switches=" + std::to_string(switches_.load()));
  return 0;
}

}  // namespace nestrt::daemon
