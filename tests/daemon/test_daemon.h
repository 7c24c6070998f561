// Runs nestrtd in-process for a test: config written to a fake tree, the daemon's event loop on
// a thread, plus raw-socket and reference helpers. Waits are generous timeouts, never timings.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "config.h"
#include "fake_tree.h"
#include "nestrt/nestrt.h"
#include "protocol.h"
#include "server.h"

namespace nestrt::daemon::testing {

inline constexpr int kWaitMs = 60000;  // generous: TSan and qemu are slow

inline bool wait_until(const std::function<bool()>& done, int timeout_ms = kWaitMs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

struct DaemonOptions {
  unsigned workers = 2;
  unsigned max_clients = 1024;
  unsigned queue_depth = 256;
  uint32_t poll_ms = 100;
  uint32_t idle_timeout_ms = 30000;
  std::string extra_models;  // more [[model]] tables
};

class TestDaemon {
 public:
  TestDaemon(const FakeTree& tree, const DaemonOptions& o = {}) : tree_(tree), config_path_(tree.path("nestrtd.toml")) {
    tree_.write("nestrtd.toml", config_text(o));
    daemon_ = std::make_unique<Daemon>(load_config(config_path_), config_path_);
    thread_ = std::thread([this] { exit_code_ = daemon_->run(); });
  }
  ~TestDaemon() { stop(); }
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  // Returns run()'s exit code.
  int stop() {
    if (thread_.joinable()) {
      daemon_->request_stop();
      thread_.join();
    }
    return exit_code_;
  }
  int join() {  // after a stop requested elsewhere (a signal)
    if (thread_.joinable()) thread_.join();
    return exit_code_;
  }

  std::string config_text(const DaemonOptions& o) const {
    return "[server]\nsocket = \"" + socket() + "\"\nworkers = " + std::to_string(o.workers) +
           "\nmax_clients = " + std::to_string(o.max_clients) + "\nqueue_depth = " + std::to_string(o.queue_depth) +
           "\nidle_timeout_ms = " + std::to_string(o.idle_timeout_ms) +
           "\n[governor]\npoll_ms = " + std::to_string(o.poll_ms) + "\nmin_dwell_ms = 0\nproc_root = \"" +
           tree_.proc() + "\"\nsys_root = \"" + tree_.sys() + "\"\ncpus = 2\n[[model]]\nname = \"fashion\"\npath = \"" +
           NESTRT_TEST_MODEL + "\"\n" + o.extra_models;
  }
  void rewrite_config(const std::string& text) const { tree_.write("nestrtd.toml", text); }

  std::string socket() const { return tree_.path("nestrtd.sock"); }
  Daemon& operator*() { return *daemon_; }
  Daemon* operator->() { return daemon_.get(); }

 private:
  const FakeTree& tree_;
  std::string config_path_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  int exit_code_ = -1;
};

// A raw protocol connection, for clients that misbehave on purpose.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
    }
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send(const std::vector<uint8_t>& bytes) { return send(bytes.data(), bytes.size()); }
  bool send(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n) {
      const ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<size_t>(k);
    }
    return true;
  }
  // The next response, or nullopt on EOF / error / timeout.
  std::optional<protocol::Response> receive(int timeout_ms = kWaitMs) {
    uint8_t head[protocol::kHeaderBytes];
    if (!read_exact(head, sizeof head, timeout_ms)) return std::nullopt;
    if (protocol::validate_header(head, protocol::kMaxPayloadLimit)) return std::nullopt;
    const protocol::Header h = protocol::decode_header(head);
    std::vector<uint8_t> payload(h.length);
    if (!read_exact(payload.data(), payload.size(), timeout_ms)) return std::nullopt;
    protocol::Error error;
    return protocol::parse_response(h, payload, error);
  }
  // True when the daemon closed the connection (EOF within the timeout).
  bool closed_by_peer(int timeout_ms = kWaitMs) {
    uint8_t b;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    return recv(fd_, &b, 1, 0) == 0;
  }
  int fd() const { return fd_; }

 private:
  bool read_exact(uint8_t* out, size_t n, int timeout_ms) {
    while (n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return false;
      const ssize_t k = recv(fd_, out, n, 0);
      if (k <= 0) return false;
      out += k;
      n -= static_cast<size_t>(k);
    }
    return true;
  }
  int fd_ = -1;
};

// Deterministic synthetic inputs (1x1x28x28) and the in-process outputs of each mode for them.
struct Reference {
  static constexpr size_t kInputs = 4;
  std::vector<float> input[kInputs];
  std::vector<float> output[2][kInputs];  // [mode][input]
  uint64_t full_weight_bytes = 0;
  uint64_t part_weight_bytes = 0;

  Reference() {
    uint32_t state = 12345;
    for (auto& in : input) {
      in.resize(28 * 28);
      for (float& v : in) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 3.f - 1.f;
      }
    }
    for (nestrt_mode mode : {NESTRT_MODE_FULL, NESTRT_MODE_PART}) {
      nestrt_model_options o;
      nestrt_model_options_init(&o);
      o.initial_mode = mode;
      nestrt_model* m = nullptr;
      if (nestrt_model_load(NESTRT_TEST_MODEL, &o, &m) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
      nestrt_session* s = nullptr;
      if (nestrt_session_create(m, nullptr, &s) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
      for (size_t i = 0; i < kInputs; ++i) {
        output[mode][i].resize(10);
        if (nestrt_run(s, input[i].data(), input[i].size(), output[mode][i].data(), 10, nullptr) != NESTRT_OK) {
          throw std::runtime_error(nestrt_last_error());
        }
      }
      nestrt_stats st{};
      nestrt_model_stats(m, &st);
      full_weight_bytes = st.high_bytes + st.low_bytes;
      part_weight_bytes = st.high_bytes;
      nestrt_session_destroy(s);
      nestrt_model_release(m);
    }
  }
  bool matches(nestrt_mode mode, size_t i, const float* out) const {
    return std::memcmp(out, output[mode][i].data(), 10 * sizeof(float)) == 0;
  }
  bool modes_differ() const {
    for (size_t i = 0; i < kInputs; ++i)
      if (output[0][i] != output[1][i]) return true;
    return false;
  }
};

inline const std::vector<int64_t> kInputDims{1, 1, 28, 28};

}  // namespace nestrt::daemon::testing
