#include "governor.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "log.h"

namespace nestrt::daemon {

const char* signal_name(SignalId id) {
  switch (id) {
    case SignalId::kPsiSome: return "psi_some";
    case SignalId::kPsiFull: return "psi_full";
    case SignalId::kMemAvailable: return "mem_available_mb";
    case SignalId::kCgroupUsage: return "cgroup_usage";
    case SignalId::kCgroupHighEvents: return "cgroup_high_events";
    case SignalId::kThermal: return "thermal_c";
    case SignalId::kBattery: return "battery_pct";
    case SignalId::kLoad: return "load_per_cpu";
    case SignalId::kCount: break;
  }
  return "?";
}

bool signal_low_is_pressure(SignalId id) {
  return id == SignalId::kMemAvailable || id == SignalId::kBattery;
}

std::array<SignalConfig, kSignalCount> GovernorConfig::default_signals() {
  std::array<SignalConfig, kSignalCount> s{};
  s[static_cast<size_t>(SignalId::kPsiSome)] = {true, 10.0, 2.0, 50};
  s[static_cast<size_t>(SignalId::kPsiFull)] = {true, 2.0, 0.5, 60};
  s[static_cast<size_t>(SignalId::kMemAvailable)] = {true, 64.0, 128.0, 40};
  s[static_cast<size_t>(SignalId::kCgroupUsage)] = {true, 0.90, 0.75, 70};
  s[static_cast<size_t>(SignalId::kCgroupHighEvents)] = {true, 1.0, 1.0, 80};
  s[static_cast<size_t>(SignalId::kThermal)] = {true, 80.0, 70.0, 30};
  s[static_cast<size_t>(SignalId::kBattery)] = {true, 15.0, 25.0, 20};
  s[static_cast<size_t>(SignalId::kLoad)] = {true, 4.0, 2.0, 0};
  return s;
}

// --- Sampler ----------------------------------------------------------------------------------
namespace {

bool read_file(const std::string& path, std::string& out, std::string& why) {
  std::ifstream in(path);
  if (!in) {
    why = path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::optional<double> parse_double(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno != 0) return std::nullopt;
  return v;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::vector<std::string> list_dir(const std::string& path, const std::string& prefix) {
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != ".." && n.rfind(prefix, 0) == 0) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// "some avg10=1.23 avg60=..." -> avg10 of the line starting with `kind`.
std::optional<double> psi_avg10(const std::string& text, const std::string& kind) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kind + " ", 0) != 0) continue;
    const auto at = line.find("avg10=");
    if (at == std::string::npos) return std::nullopt;
    return parse_double(line.substr(at + 6));
  }
  return std::nullopt;
}

}  // namespace

void Sampler::missing(const std::string& source, const std::string& why) {
  if (warned_.insert(source).second) {
    log_warning("signal-missing source=" + source + " reason=\"" + why +
                "\" deciding on the other signals (warned once)");
  }
  down_.insert(source);
}

void Sampler::present(const std::string& source) {
  if (down_.erase(source) && warned_.count(source)) log_info("signal-back source=" + source);
}

std::string Sampler::cgroup_dir() {
  if (config_.cgroup.empty()) return "";
  const std::string base = config_.sys_root + "/fs/cgroup";
  if (config_.cgroup != "auto") return base + "/" + config_.cgroup;
  std::string text, why;
  if (!read_file(config_.proc_root + "/self/cgroup", text, why)) return "";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return base + trim(line.substr(3));
  }
  return "";
}

Sample Sampler::sample() {
  Sample s;
  std::string text, why;
  // PSI.
  if (read_file(config_.proc_root + "/pressure/memory", text, why)) {
    s[SignalId::kPsiSome] = psi_avg10(text, "some");
    s[SignalId::kPsiFull] = psi_avg10(text, "full");
    if (s[SignalId::kPsiSome])
      present("psi");
    else
      missing("psi", "no 'some avg10=' in " + config_.proc_root + "/pressure/memory");
  } else {
    missing("psi", why + " (PSI off? boot with psi=1)");
  }
  // MemAvailable.
  if (read_file(config_.proc_root + "/meminfo", text, why)) {
    const auto at = text.find("MemAvailable:");
    if (at != std::string::npos) {
      if (auto kb = parse_double(text.substr(at + 13))) s[SignalId::kMemAvailable] = *kb / 1024.0;
    }
    if (s[SignalId::kMemAvailable])
      present("meminfo");
    else
      missing("meminfo", "no MemAvailable in " + config_.proc_root + "/meminfo");
  } else {
    missing("meminfo", why);
  }
  // cgroup v2.
  if (!config_.cgroup.empty()) {
    const std::string dir = cgroup_dir();
    std::string cur, high, events;
    if (dir.empty()) {
      missing("cgroup", "cannot find this process's cgroup v2 in " + config_.proc_root + "/self/cgroup");
    } else if (!read_file(dir + "/memory.current", cur, why) || !read_file(dir + "/memory.high", high, why)) {
      missing("cgroup", why + " (memory controller off? boot with cgroup_enable=memory cgroup_memory=1)");
    } else {
      present("cgroup");
      const auto c = parse_double(cur);
      high = trim(high);
      if (c && high != "max") {
        if (auto h = parse_double(high); h && *h > 0) s[SignalId::kCgroupUsage] = *c / *h;
      }
      if (read_file(dir + "/memory.events", events, why)) {
        const auto at = events.find("high ");
        if (at != std::string::npos) {
          const auto n = static_cast<uint64_t>(std::strtoull(events.c_str() + at + 5, nullptr, 10));
          s[SignalId::kCgroupHighEvents] =
              last_high_events_ && n >= *last_high_events_ ? static_cast<double>(n - *last_high_events_) : 0.0;
          last_high_events_ = n;
        }
      }
    }
  }
  // Thermal: the hottest zone.
  {
    const std::string dir = config_.sys_root + "/class/thermal";
    std::optional<double> hottest;
    for (const auto& zone : list_dir(dir, "thermal_zone")) {
      if (!read_file(dir + "/" + zone + "/temp", text, why)) continue;
      if (auto mc = parse_double(text)) hottest = std::max(hottest.value_or(-1e9), *mc / 1000.0);
    }
    if (hottest) {
      s[SignalId::kThermal] = hottest;
      present("thermal");
    } else {
      missing("thermal", "no readable " + dir + "/thermal_zone*/temp");
    }
  }
  // Battery: the lowest discharging battery; charging/full batteries press nothing.
  {
    const std::string dir = config_.sys_root + "/class/power_supply";
    std::optional<double> lowest;
    for (const auto& supply : list_dir(dir, "")) {
      std::string cap, status;
      if (!read_file(dir + "/" + supply + "/capacity", cap, why)) continue;
      auto pct = parse_double(cap);
      if (!pct) continue;
      read_file(dir + "/" + supply + "/status", status, why);
      if (trim(status) != "Discharging") pct = 100.0;
      lowest = std::min(lowest.value_or(1e9), *pct);
    }
    if (lowest) {
      s[SignalId::kBattery] = lowest;
      present("battery");
    } else {
      missing("battery", "no " + dir + "/*/capacity (no battery)");
    }
  }
  // CPU load.
  if (read_file(config_.proc_root + "/loadavg", text, why)) {
    const unsigned cpus = config_.cpus ? config_.cpus : std::max(1u, std::thread::hardware_concurrency());
    if (auto load = parse_double(text)) {
      s[SignalId::kLoad] = *load / cpus;
      present("loadavg");
    } else {
      missing("loadavg", "unparsable " + config_.proc_root + "/loadavg");
    }
  } else {
    missing("loadavg", why);
  }
  return s;
}

// --- Policy -----------------------------------------------------------------------------------
Vote vote(SignalId id, const SignalConfig& c, const std::optional<double>& value) {
  if (!c.enabled || !value) return Vote::kMissing;
  if (signal_low_is_pressure(id)) {
    if (*value <= c.enter) return Vote::kPress;
    return *value > c.exit ? Vote::kClear : Vote::kHold;
  }
  if (*value >= c.enter) return Vote::kPress;
  return *value < c.exit ? Vote::kClear : Vote::kHold;
}

namespace {
std::string fmt(double v) {
  char buf[32];
  // Three significant digits, but never exponent notation for large readings (MemAvailable).
  std::snprintf(buf, sizeof buf, std::abs(v) >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}
}  // namespace

std::string describe(const Sample& sample) {
  std::string out;
  for (size_t i = 0; i < kSignalCount; ++i) {
    if (!out.empty()) out += ' ';
    out += signal_name(static_cast<SignalId>(i));
    out += '=';
    out += sample.value[i] ? fmt(*sample.value[i]) : "n/a";
  }
  return out;
}

Decision decide(const GovernorConfig& config, const Sample& sample, const PolicyState& state, int64_t now_ms) {
  Decision d;
  if (!state.automatic) {
    d.reason = "policy off (manual mode)";
    return d;
  }
  std::optional<SignalId> presser, holder;
  for (size_t i = 0; i < kSignalCount; ++i) {
    const auto id = static_cast<SignalId>(i);
    const SignalConfig& c = config.signals[i];
    if (c.priority <= 0) continue;  // advisory
    const Vote v = vote(id, c, sample[id]);
    auto better = [&](const std::optional<SignalId>& cur) {
      return !cur || c.priority > config.signals[static_cast<size_t>(*cur)].priority;
    };
    if (v == Vote::kPress && better(presser)) presser = id;
    if (v == Vote::kHold && better(holder)) holder = id;
  }
  auto pressing = [&](SignalId id) {
    const SignalConfig& c = config.signals[static_cast<size_t>(id)];
    return std::string(signal_name(id)) + "=" + fmt(*sample[id]) + (signal_low_is_pressure(id) ? " <= " : " >= ") +
           "enter " + fmt(c.enter);
  };
  nestrt_mode target = state.mode;
  // A graded level (set by ctl budget) counts as "not part" under pressure and "not full" without.
  if (state.mode != NESTRT_MODE_PART && presser) {
    target = NESTRT_MODE_PART;
    d.reason = pressing(*presser) + " (priority " +
               std::to_string(config.signals[static_cast<size_t>(*presser)].priority) + ")";
  } else if (state.mode != NESTRT_MODE_FULL && !presser) {
    if (holder) {
      const SignalConfig& c = config.signals[static_cast<size_t>(*holder)];
      d.reason = "holding part: " + std::string(signal_name(*holder)) + "=" + fmt(*sample[*holder]) + " between exit " +
                 fmt(c.exit) + " and enter " + fmt(c.enter);
      return d;
    }
    target = NESTRT_MODE_FULL;
    d.reason = "all signals clear";
  } else {
    d.reason = presser ? "pressure persists: " + pressing(*presser) : "no pressure";
    return d;
  }
  d.want_switch = true;
  const int64_t since = now_ms - state.last_switch_ms;
  if (since < static_cast<int64_t>(config.min_dwell_ms)) {
    d.reason = "held by dwell (" + std::to_string(static_cast<int64_t>(config.min_dwell_ms) - since) +
               " ms left): " + d.reason;
    return d;
  }
  d.switch_to = target;
  return d;
}

}  // namespace nestrt::daemon
