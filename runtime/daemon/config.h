// nestrtd's configuration, read from a TOML file (runtime/daemon/dist/nestrtd.toml is the
// commented sample). Unknown keys and out-of-range values are errors naming the key, so a typo
// never silently falls back to a default.
#pragma once

#include <string>
#include <vector>

#include "governor.h"
#include "nestrt/nestrt.h"

namespace nestrt::daemon {

struct ServerConfig {
  std::string socket = "/run/nestrtd/nestrtd.sock";
  unsigned socket_mode = 0660;
  std::string socket_owner;  // user name; empty: the daemon's user
  std::string socket_group;  // group name; empty: the daemon's group
  unsigned workers = 2;
  unsigned max_clients = 1024;
  uint32_t max_frame_bytes = 16u << 20;
  unsigned queue_depth = 256;
  uint32_t idle_timeout_ms = 30000;   // a client stalled in the middle of a frame is dropped after this
  uint32_t drain_timeout_ms = 10000;  // SIGTERM: longest wait for in-flight requests
};

struct ModelConfig {
  std::string name;
  std::string path;
  bool verify_checksums = true;
  bool governed = true;  // switched by the governor (and by `ctl switch`)
  bool operator==(const ModelConfig&) const = default;
};

struct Config {
  ServerConfig server;
  GovernorConfig governor;
  nestrt_mode initial_mode = NESTRT_MODE_FULL;
  std::vector<ModelConfig> models;
};

// Throws std::runtime_error("<origin>:<line>:<col>: <what>") on any problem.
Config parse_config(const std::string& text, const std::string& origin);
Config load_config(const std::string& path);

}  // namespace nestrt::daemon
