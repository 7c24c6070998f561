#include "config.h"

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "protocol.h"

namespace nestrt::daemon {
namespace {

struct Context {
  std::string origin;
  [[noreturn]] void fail(const toml::node* node, const std::string& what) const {
    std::string where = origin;
    if (node) {
      const auto& s = node->source();
      where += ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column);
    }
    throw std::runtime_error(where + ": " + what);
  }
};

void only_keys(const Context& ctx, const toml::table& t, const std::string& table, std::set<std::string> known) {
  for (const auto& [key, node] : t) {
    if (!known.count(std::string(key.str()))) {
      ctx.fail(&node, "unknown key '" + std::string(key.str()) + "' in [" + table + "]");
    }
  }
}

template <typename T>
void get(const Context& ctx, const toml::table& t, const std::string& key, T& out, const std::string& table) {
  const toml::node* node = t.get(key);
  if (!node) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (!node->is_boolean()) ctx.fail(node, table + "." + key + " must be true or false");
    out = *node->value<bool>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!node->is_string()) ctx.fail(node, table + "." + key + " must be a string");
    out = *node->value<std::string>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!node->is_number()) ctx.fail(node, table + "." + key + " must be a number");
    out = *node->value<double>();
  } else {
    if (!node->is_integer()) ctx.fail(node, table + "." + key + " must be an integer");
    const int64_t v = *node->value<int64_t>();
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) {
      ctx.fail(node, table + "." + key + " = " + std::to_string(v) + " is out of range");
    }
    out = static_cast<T>(v);
  }
}

nestrt_mode parse_mode(const Context& ctx, const toml::table& t, const std::string& key, nestrt_mode fallback) {
  std::string m = fallback == NESTRT_MODE_PART ? "part" : "full";
  get(ctx, t, key, m, "governor");
  if (m != "full" && m != "part") ctx.fail(t.get(key), key + " must be \"full\" or \"part\"");
  return m == "part" ? NESTRT_MODE_PART : NESTRT_MODE_FULL;
}

}  // namespace

Config parse_config(const std::string& text, const std::string& origin) {
  Context ctx{origin};
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& s = e.source();
    throw std::runtime_error(origin + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column) + ": " +
                             std::string(e.description()));
  }
  Config cfg;
  only_keys(ctx, root, "", {"server", "governor", "model"});

  if (const toml::table* s = root["server"].as_table()) {
    only_keys(ctx, *s, "server",
              {"socket", "socket_mode", "socket_owner", "socket_group", "workers", "max_clients", "max_frame_bytes",
               "queue_depth", "idle_timeout_ms", "drain_timeout_ms"});
    ServerConfig& sc = cfg.server;
    get(ctx, *s, "socket", sc.socket, "server");
    if (sc.socket.empty() || sc.socket.size() >= 108) ctx.fail(s->get("socket"), "server.socket must be 1..107 bytes");
    if (const toml::node* m = s->get("socket_mode")) {
      // A string like "0660" (octal) or an integer written in TOML octal (0o660).
      if (m->is_string()) {
        const std::string v = *m->value<std::string>();
        char* end = nullptr;
        sc.socket_mode = static_cast<unsigned>(std::strtoul(v.c_str(), &end, 8));
        if (v.empty() || *end != '\0') ctx.fail(m, "server.socket_mode must be octal, e.g. \"0660\"");
      } else {
        get(ctx, *s, "socket_mode", sc.socket_mode, "server");
      }
      if (sc.socket_mode > 0777) ctx.fail(m, "server.socket_mode must be at most 0777");
    }
    get(ctx, *s, "socket_owner", sc.socket_owner, "server");
    get(ctx, *s, "socket_group", sc.socket_group, "server");
    get(ctx, *s, "workers", sc.workers, "server");
    get(ctx, *s, "max_clients", sc.max_clients, "server");
    get(ctx, *s, "max_frame_bytes", sc.max_frame_bytes, "server");
    get(ctx, *s, "queue_depth", sc.queue_depth, "server");
    get(ctx, *s, "idle_timeout_ms", sc.idle_timeout_ms, "server");
    get(ctx, *s, "drain_timeout_ms", sc.drain_timeout_ms, "server");
    if (sc.workers < 1 || sc.workers > 64) ctx.fail(s->get("workers"), "server.workers must be 1..64");
    if (sc.max_clients < 1) ctx.fail(s->get("max_clients"), "server.max_clients must be at least 1");
    if (sc.queue_depth < 1) ctx.fail(s->get("queue_depth"), "server.queue_depth must be at least 1");
    if (sc.max_frame_bytes < 1024 || sc.max_frame_bytes > protocol::kMaxPayloadLimit) {
      ctx.fail(s->get("max_frame_bytes"), "server.max_frame_bytes must be 1 KiB..64 MiB");
    }
  } else if (root.contains("server")) {
    ctx.fail(root.get("server"), "[server] must be a table");
  }

  if (const toml::table* g = root["governor"].as_table()) {
    std::set<std::string> known{"enabled",  "poll_ms", "min_dwell_ms", "proc_root",
                                "sys_root", "cgroup",  "cpus",         "initial_mode"};
    for (size_t i = 0; i < kSignalCount; ++i) known.insert(signal_name(static_cast<SignalId>(i)));
    only_keys(ctx, *g, "governor", known);
    GovernorConfig& gc = cfg.governor;
    get(ctx, *g, "enabled", gc.enabled, "governor");
    get(ctx, *g, "poll_ms", gc.poll_ms, "governor");
    get(ctx, *g, "min_dwell_ms", gc.min_dwell_ms, "governor");
    get(ctx, *g, "proc_root", gc.proc_root, "governor");
    get(ctx, *g, "sys_root", gc.sys_root, "governor");
    get(ctx, *g, "cgroup", gc.cgroup, "governor");
    get(ctx, *g, "cpus", gc.cpus, "governor");
    cfg.initial_mode = parse_mode(ctx, *g, "initial_mode", NESTRT_MODE_FULL);
    if (gc.poll_ms < 10 || gc.poll_ms > 3600000) ctx.fail(g->get("poll_ms"), "governor.poll_ms must be 10..3600000");
    for (size_t i = 0; i < kSignalCount; ++i) {
      const auto id = static_cast<SignalId>(i);
      const std::string name = signal_name(id);
      const toml::node* node = g->get(name);
      if (!node) continue;
      const toml::table* st = node->as_table();
      if (!st) ctx.fail(node, "[governor." + name + "] must be a table");
      only_keys(ctx, *st, "governor." + name, {"enabled", "enter", "exit", "priority"});
      SignalConfig& sc = gc.signals[i];
      get(ctx, *st, "enabled", sc.enabled, "governor." + name);
      get(ctx, *st, "enter", sc.enter, "governor." + name);
      get(ctx, *st, "exit", sc.exit, "governor." + name);
      get(ctx, *st, "priority", sc.priority, "governor." + name);
      const bool ok = signal_low_is_pressure(id) ? sc.exit >= sc.enter : sc.exit <= sc.enter;
      if (!ok) {
        ctx.fail(node, "governor." + name + ": exit must lie on the clear side of enter (" +
                           (signal_low_is_pressure(id) ? "exit >= enter" : "exit <= enter") + ") for hysteresis");
      }
    }
  } else if (root.contains("governor")) {
    ctx.fail(root.get("governor"), "[governor] must be a table");
  }

  if (const toml::node* models = root.get("model")) {
    const toml::array* arr = models->as_array();
    if (!arr) ctx.fail(models, "models are given as [[model]] tables");
    std::set<std::string> names;
    for (const toml::node& node : *arr) {
      const toml::table* t = node.as_table();
      if (!t) ctx.fail(&node, "each [[model]] must be a table");
      only_keys(ctx, *t, "model", {"name", "path", "verify_checksums", "governed"});
      ModelConfig m;
      get(ctx, *t, "name", m.name, "model");
      get(ctx, *t, "path", m.path, "model");
      get(ctx, *t, "verify_checksums", m.verify_checksums, "model");
      get(ctx, *t, "governed", m.governed, "model");
      if (!protocol::valid_model_name(m.name)) ctx.fail(&node, "model.name must be 1..64 characters of [A-Za-z0-9._-]");
      if (m.path.empty()) ctx.fail(&node, "model '" + m.name + "' needs a path");
      if (!names.insert(m.name).second) ctx.fail(&node, "model name '" + m.name + "' given twice");
      cfg.models.push_back(m);
    }
  }
  if (cfg.models.empty()) throw std::runtime_error(origin + ": no [[model]] configured");
  return cfg;
}

Config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read config " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace nestrt::daemon
