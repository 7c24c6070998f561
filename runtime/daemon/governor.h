// The resource governor: signal sources read from configurable /proc and /sys roots, and a pure
// policy (sample, time, state) -> decision with hysteresis, a minimum dwell time, priorities and a
// manual override. The Daemon owns one Sampler and one PolicyState and applies the decisions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "nestrt/nestrt.h"

namespace nestrt::daemon {

enum class SignalId {
  kPsiSome,           // /proc/pressure/memory "some avg10" (% of time stalled)
  kPsiFull,           // /proc/pressure/memory "full avg10"
  kMemAvailable,      // /proc/meminfo MemAvailable (MiB); low is pressure
  kCgroupUsage,       // cgroup v2 memory.current / memory.high (ratio)
  kCgroupHighEvents,  // cgroup v2 memory.events "high": new events since the previous sample
  kThermal,           // hottest /sys/class/thermal/thermal_zone*/temp (degrees C)
  kBattery,           // lowest discharging /sys/class/power_supply/*/capacity (%); low is pressure
  kLoad,              // /proc/loadavg 1-min load per CPU
  kCount
};
inline constexpr size_t kSignalCount = static_cast<size_t>(SignalId::kCount);

const char* signal_name(SignalId id);
// True for signals where a low value means pressure (MemAvailable, battery).
bool signal_low_is_pressure(SignalId id);

struct SignalConfig {
  bool enabled = true;
  double enter = 0;  // pressure from here on (>= for high-is-pressure signals, <= otherwise)
  double exit = 0;   // clear beyond here (< resp. >); between exit and enter the signal holds
  int priority = 0;  // higher wins the reason; 0 = advisory (sampled and logged, never switches)
};

struct GovernorConfig {
  bool enabled = true;            // automatic switching at start (ctl policy on|off changes it)
  uint32_t poll_ms = 1000;        // sampling period
  uint32_t min_dwell_ms = 10000;  // no automatic switch sooner than this after the previous one
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::string cgroup = "auto";  // "auto": from <proc>/self/cgroup; "": off; else a path under <sys>/fs/cgroup
  unsigned cpus = 0;            // CPUs for load per CPU; 0 = this machine's count
  std::array<SignalConfig, kSignalCount> signals = default_signals();

  static std::array<SignalConfig, kSignalCount> default_signals();
};

// One reading of every signal; nullopt = unavailable this time.
struct Sample {
  std::array<std::optional<double>, kSignalCount> value{};
  std::optional<double>& operator[](SignalId id) { return value[static_cast<size_t>(id)]; }
  const std::optional<double>& operator[](SignalId id) const { return value[static_cast<size_t>(id)]; }
};

// Reads the signals. Each source (psi, meminfo, cgroup, thermal, battery, loadavg) that is missing
// or unreadable is reported with exactly one warning for the daemon's lifetime, and its signals are
// left out of the decision; a source that comes back is announced once at info level.
class Sampler {
 public:
  explicit Sampler(const GovernorConfig& config) : config_(config) {}
  void reconfigure(const GovernorConfig& config) { config_ = config; }
  Sample sample();
  size_t warnings() const { return warned_.size(); }

 private:
  void missing(const std::string& source, const std::string& why);
  void present(const std::string& source);
  std::string cgroup_dir();

  GovernorConfig config_;
  std::set<std::string> warned_;
  std::set<std::string> down_;
  std::optional<uint64_t> last_high_events_;
};

enum class Vote { kMissing, kClear, kHold, kPress };
Vote vote(SignalId id, const SignalConfig& config, const std::optional<double>& value);

struct PolicyState {
  nestrt_mode mode = NESTRT_MODE_FULL;  // mode of the governed models
  bool automatic = true;                // false: pinned by `ctl switch` or `ctl policy off`
  int64_t last_switch_ms = INT64_MIN / 2;
};

struct Decision {
  std::optional<nestrt_mode> switch_to;  // set: switch now
  std::string reason;                    // why (also for holds: "held by dwell ...")
  bool want_switch = false;              // the signals ask for a switch (even if dwell holds it)
};

// Pure: the same inputs give the same decision. Full -> part when any enabled, prioritised signal
// presses (reason: the highest-priority one); part -> full when no signal presses and every
// available prioritised signal is clear (hysteresis: a signal between exit and enter holds the
// mode). No automatic switch within min_dwell_ms of the previous one, none when not automatic.
Decision decide(const GovernorConfig& config, const Sample& sample, const PolicyState& state, int64_t now_ms);

// One line describing the sample, e.g. "psi_some=12.0 mem_available_mb=812 thermal_c=n/a".
std::string describe(const Sample& sample);

}  // namespace nestrt::daemon
