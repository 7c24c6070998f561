// nestrtd: the serving daemon. One event-loop thread multiplexes the Unix socket and every client
// connection with poll(); complete requests go to a bounded queue served by a pool of workers,
// each holding one nestrt session per model (sessions are single-threaded, the mapped model is
// shared); control requests (status, switch, budget, policy, model info) have their own thread;
// a governor thread samples the signals every poll period and switches the governed models. See docs/daemon.md for why
// this shape (and not a thread per connection).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "governor.h"
#include "protocol.h"

namespace nestrt::daemon {

// A loaded model shared by all workers; released when the last worker session using it is gone.
struct LoadedModel {
  ModelConfig config;
  nestrt_model* model = nullptr;
  std::vector<int64_t> input_dims, output_dims;
  size_t input_count = 0, output_count = 0;
  ~LoadedModel();
};

class Daemon {
 public:
  // Loads the models and binds the socket; throws std::runtime_error naming the problem.
  Daemon(Config config, std::string config_path);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves until stopped; returns the process exit code (0 after a clean drain).
  int run();
  // Async-signal-safe: SIGTERM/SIGINT and SIGHUP handlers (and tests) call these.
  void request_stop();
  void request_reload();

  // Current status as "key=value" lines (the STATUS response body).
  std::string status_text();
  nestrt_mode mode();
  uint64_t switches() const { return switches_.load(); }
  // Governor polls completed, and the poll whose decision made the latest switch (tests check
  // that a switch follows pressure within one poll period without timing anything).
  uint64_t polls() const { return polls_.load(); }
  uint64_t last_switch_poll() const { return last_switch_poll_.load(); }
  // Requests accepted into the worker queue so far.
  uint64_t accepted() const { return accepted_.load(); }
  size_t connections() const { return connection_count_.load(); }

 private:
  struct Connection;
  struct Job {
    uint64_t connection;
    protocol::Request request;
  };
  struct Completion {
    uint64_t connection;
    std::vector<uint8_t> bytes;
  };

  void load_models(const std::vector<ModelConfig>& models, nestrt_mode mode);
  void bind_socket();
  void reload();
  void wake();
  void event_loop();
  bool read_connection(Connection& c);
  void process_frames(Connection& c);
  void worker_main();
  void control_main();
  void complete(uint64_t connection, std::vector<uint8_t> bytes);  // hand a response to the event loop
  std::vector<uint8_t> handle(const protocol::Request& request, std::map<LoadedModel*, nestrt_session*>& sessions,
                              std::vector<std::shared_ptr<LoadedModel>>& keep);
  void governor_main();
  // Switches every governed model; returns false with a message on failure.
  bool switch_models(nestrt_mode mode, const std::string& reason, std::string& message);
  // ctl budget: every governed model to the lowest graded level that fits its share of the budget.
  bool budget_models(uint64_t budget, std::string& message);
  std::shared_ptr<LoadedModel> find_model(const std::string& name);
  // The models the governor switches (a snapshot: reloads may change the table afterwards).
  std::vector<std::shared_ptr<LoadedModel>> governed_models();

  Config config_;
  std::string config_path_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  // Set from signal handlers and other threads: lock-free atomics are async-signal-safe.
  std::atomic<bool> stop_flag_{false};
  std::atomic<bool> reload_flag_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);

  std::mutex models_mutex_;
  std::map<std::string, std::shared_ptr<LoadedModel>> models_;
  std::atomic<uint64_t> models_generation_{0};

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;  // inference requests, for the workers
  std::condition_variable control_cv_;
  std::deque<Job> control_queue_;  // everything else, for the control thread
  bool workers_stop_ = false;
  std::vector<std::thread> workers_;  // the inference workers and the control thread

  std::mutex completions_mutex_;
  std::vector<Completion> completions_;

  // Governor state (governor_mutex_ also serialises every switch).
  std::mutex governor_mutex_;
  std::condition_variable governor_cv_;
  bool governor_stop_ = false;
  Sampler sampler_;
  PolicyState policy_;
  Decision last_decision_;
  std::string last_sample_;
  std::thread governor_;
  std::atomic<uint64_t> switches_{0};
  std::atomic<uint64_t> polls_{0}, last_switch_poll_{0};

  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::atomic<size_t> connection_count_{0};
  uint64_t next_connection_id_ = 1;
  std::atomic<uint64_t> accepted_{0}, requests_{0}, failed_requests_{0}, rejected_frames_{0};
  int64_t start_ms_ = 0;
};

int64_t monotonic_ms();

}  // namespace nestrt::daemon
