// The governor: the Sampler on fake /proc and /sys trees, and the pure policy driven by synthetic
// signal traces (hysteresis, dwell time, priorities, manual override, recovery).
#include <gtest/gtest.h>

#include <vector>

#include "fake_tree.h"
#include "governor.h"
#include "log_capture.h"

namespace nestrt::daemon {
namespace {

using testing::FakeTree;
using testing::LogCapture;

GovernorConfig config_for(const FakeTree& tree) {
  GovernorConfig c;
  c.proc_root = tree.proc();
  c.sys_root = tree.sys();
  c.cpus = 2;
  c.min_dwell_ms = 0;
  return c;
}

TEST(SamplerTest, ReadsEverySignalFromTheTree) {
  FakeTree tree;
  tree.calm();
  tree.psi(12.5, 3.25);
  tree.mem_available_mb(300);
  tree.thermal_c(0, 51.2);
  tree.thermal_c(1, 77.5);  // the hottest zone counts
  tree.battery("BAT0", 40, "Discharging");
  tree.battery("BAT1", 10, "Charging");  // charging batteries press nothing
  tree.loadavg(3.0);
  tree.cgroup("svc", 900, "1000", 5);
  Sampler sampler(config_for(tree));
  Sample s = sampler.sample();
  EXPECT_DOUBLE_EQ(*s[SignalId::kPsiSome], 12.5);
  EXPECT_DOUBLE_EQ(*s[SignalId::kPsiFull], 3.25);
  EXPECT_DOUBLE_EQ(*s[SignalId::kMemAvailable], 300);
  EXPECT_DOUBLE_EQ(*s[SignalId::kThermal], 77.5);
  EXPECT_DOUBLE_EQ(*s[SignalId::kBattery], 40);
  EXPECT_DOUBLE_EQ(*s[SignalId::kLoad], 1.5);
  EXPECT_DOUBLE_EQ(*s[SignalId::kCgroupUsage], 0.9);
  EXPECT_DOUBLE_EQ(*s[SignalId::kCgroupHighEvents], 0);  // first sample: no baseline yet
  tree.cgroup("svc", 900, "1000", 8);
  s = sampler.sample();
  EXPECT_DOUBLE_EQ(*s[SignalId::kCgroupHighEvents], 3);  // events since the previous sample
  EXPECT_EQ(sampler.warnings(), 0u);
}

TEST(SamplerTest, ExplicitCgroupPathAndUnlimitedHigh) {
  FakeTree tree;
  tree.calm();
  tree.write("sys/fs/cgroup/box/memory.current", "500\n");
  tree.write("sys/fs/cgroup/box/memory.high", "max\n");
  GovernorConfig c = config_for(tree);
  c.cgroup = "box";
  Sampler sampler(c);
  const Sample s = sampler.sample();
  EXPECT_FALSE(s[SignalId::kCgroupUsage]);  // memory.high = max: no ratio
  EXPECT_EQ(sampler.warnings(), 0u);
}

TEST(SamplerTest, MissingSignalsWarnOnceAndComeBack) {
  FakeTree tree;
  tree.calm();
  tree.remove("proc/pressure");           // PSI off (Raspberry Pi OS default)
  tree.remove("sys/class/power_supply");  // no battery
  LogCapture log;
  Sampler sampler(config_for(tree));
  for (int i = 0; i < 5; ++i) {
    const Sample s = sampler.sample();
    EXPECT_FALSE(s[SignalId::kPsiSome]);
    EXPECT_FALSE(s[SignalId::kBattery]);
    EXPECT_TRUE(s[SignalId::kMemAvailable]);  // the others still work
  }
  EXPECT_EQ(log.count(LogLevel::kWarning, "source=psi"), 1u);
  EXPECT_EQ(log.count(LogLevel::kWarning, "source=battery"), 1u);
  EXPECT_EQ(log.count(LogLevel::kWarning, "signal-missing"), 2u);
  tree.psi(1, 0);
  EXPECT_TRUE(sampler.sample()[SignalId::kPsiSome]);
  EXPECT_EQ(log.count(LogLevel::kInfo, "signal-back source=psi"), 1u);
  tree.write("proc/pressure/memory", "garbage\n");  // unparsable counts as missing, no new warning
  EXPECT_FALSE(sampler.sample()[SignalId::kPsiSome]);
  EXPECT_EQ(log.count(LogLevel::kWarning, "source=psi"), 1u);
}

// --- Policy traces -------------------------------------------------------------------------------

// Only thermal enabled unless a test enables more: traces stay readable.
GovernorConfig thermal_only() {
  GovernorConfig c;
  for (auto& s : c.signals) s.enabled = false;
  c.signals[static_cast<size_t>(SignalId::kThermal)] = {true, 80, 70, 30};
  c.min_dwell_ms = 0;
  return c;
}

Sample thermal(double c) {
  Sample s;
  s[SignalId::kThermal] = c;
  return s;
}

// Runs a trace of (time, sample) through decide(), applying switches; returns the mode after each.
std::vector<nestrt_mode> run_trace(const GovernorConfig& c, const std::vector<std::pair<int64_t, Sample>>& trace,
                                   PolicyState& state) {
  std::vector<nestrt_mode> modes;
  for (const auto& [t, sample] : trace) {
    const Decision d = decide(c, sample, state, t);
    if (d.switch_to) {
      state.mode = *d.switch_to;
      state.last_switch_ms = t;
    }
    modes.push_back(state.mode);
  }
  return modes;
}

constexpr nestrt_mode F = NESTRT_MODE_FULL, P = NESTRT_MODE_PART;

TEST(PolicyTest, SwitchesAtTheThresholdsNotInBetween) {
  const GovernorConfig c = thermal_only();
  PolicyState state;
  // Rising: 79.9 is below enter, 80 presses. Falling: 70 still holds (exit is strict), 69.9 clears.
  const std::vector<double> temps{60, 75, 79.9, 80, 85, 75, 71, 70, 69.9, 75, 79.9};
  std::vector<std::pair<int64_t, Sample>> trace;
  for (size_t i = 0; i < temps.size(); ++i) trace.push_back({int64_t(i) * 1000, thermal(temps[i])});
  EXPECT_EQ(run_trace(c, trace, state), (std::vector<nestrt_mode>{F, F, F, P, P, P, P, P, F, F, F}));
}

TEST(PolicyTest, LowIsPressureSignalsUseMirroredThresholds) {
  GovernorConfig c = thermal_only();
  c.signals[static_cast<size_t>(SignalId::kThermal)].enabled = false;
  c.signals[static_cast<size_t>(SignalId::kMemAvailable)] = {true, 64, 128, 40};
  PolicyState state;
  std::vector<std::pair<int64_t, Sample>> trace;
  int64_t t = 0;
  for (double mb : {500.0, 65.0, 64.0, 100.0, 128.0, 128.5}) {
    Sample s;
    s[SignalId::kMemAvailable] = mb;
    trace.push_back({t += 1000, s});
  }
  EXPECT_EQ(run_trace(c, trace, state), (std::vector<nestrt_mode>{F, F, P, P, P, F}));
}

TEST(PolicyTest, DwellTimeLimitsSwitchRate) {
  GovernorConfig c = thermal_only();
  c.min_dwell_ms = 5000;
  PolicyState state;
  // Pressure flaps every second; the mode may change at most once per 5 s.
  std::vector<std::pair<int64_t, Sample>> trace;
  for (int64_t t = 0; t < 20000; t += 1000) trace.push_back({t, thermal(t / 1000 % 2 ? 90 : 50)});
  const auto modes = run_trace(c, trace, state);
  int64_t last_change = -1000000;
  int changes = 0;
  for (size_t i = 1; i < modes.size(); ++i) {
    if (modes[i] == modes[i - 1]) continue;
    EXPECT_GE(trace[i].first - last_change, 5000) << "switch at " << trace[i].first;
    last_change = trace[i].first;
    ++changes;
  }
  EXPECT_GE(changes, 3);  // it still follows the pressure, just not faster than the dwell
  // A held decision names the dwell.
  state = {};
  state.last_switch_ms = 10000;
  const Decision d = decide(c, thermal(95), state, 12000);
  EXPECT_FALSE(d.switch_to);
  EXPECT_TRUE(d.want_switch);
  EXPECT_NE(d.reason.find("held by dwell (3000 ms left)"), std::string::npos) << d.reason;
}

TEST(PolicyTest, ComesBackWhenPressureClears) {
  GovernorConfig c = thermal_only();
  c.min_dwell_ms = 2000;
  PolicyState state;
  std::vector<std::pair<int64_t, Sample>> trace;
  for (int64_t t = 0; t <= 10000; t += 500) trace.push_back({t, thermal(t < 3000 ? 90 : 40)});
  const auto modes = run_trace(c, trace, state);
  EXPECT_EQ(modes.front(), P);
  EXPECT_EQ(modes.back(), F);
  EXPECT_EQ(state.last_switch_ms, 3000);  // cleared at 3 s, dwell (2 s) since the 0 s switch passed
}

TEST(PolicyTest, AGradedLevelGoesToPartUnderPressureAndToFullWhenCalm) {
  // ctl budget leaves the models at a graded level; once the governor is back on, it owns the mode.
  const GovernorConfig c = thermal_only();
  for (const auto& [temp, expected] : {std::pair{95.0, P}, std::pair{40.0, F}}) {
    PolicyState state;
    state.mode = NESTRT_MODE_GRADED;
    const Decision d = decide(c, thermal(temp), state, 10000);
    ASSERT_TRUE(d.switch_to) << d.reason;
    EXPECT_EQ(*d.switch_to, expected) << d.reason;
  }
  PolicyState held;  // between exit (70) and enter (80): no reason to leave the level
  held.mode = NESTRT_MODE_GRADED;
  EXPECT_FALSE(decide(c, thermal(75), held, 10000).switch_to);
}

TEST(PolicyTest, HighestPriorityPressingSignalIsTheReason) {
  GovernorConfig c = thermal_only();
  c.signals[static_cast<size_t>(SignalId::kBattery)] = {true, 15, 25, 20};
  c.signals[static_cast<size_t>(SignalId::kPsiSome)] = {true, 10, 2, 50};
  Sample s = thermal(95);
  s[SignalId::kBattery] = 5;
  s[SignalId::kPsiSome] = 30;
  Decision d = decide(c, s, PolicyState{}, 0);
  ASSERT_TRUE(d.switch_to);
  EXPECT_EQ(*d.switch_to, P);
  EXPECT_EQ(d.reason.rfind("psi_some=30 >= enter 10 (priority 50)", 0), 0u) << d.reason;
  // Advisory signals (priority 0) never switch.
  c.signals[static_cast<size_t>(SignalId::kThermal)].priority = 0;
  c.signals[static_cast<size_t>(SignalId::kBattery)].priority = 0;
  c.signals[static_cast<size_t>(SignalId::kPsiSome)].priority = 0;
  d = decide(c, s, PolicyState{}, 0);
  EXPECT_FALSE(d.switch_to);
  // A holding signal keeps part mode even when every other signal is clear.
  c = thermal_only();
  c.signals[static_cast<size_t>(SignalId::kBattery)] = {true, 15, 25, 20};
  s = thermal(40);
  s[SignalId::kBattery] = 20;  // between enter 15 and exit 25
  PolicyState part;
  part.mode = P;
  d = decide(c, s, part, 0);
  EXPECT_FALSE(d.switch_to);
  EXPECT_NE(d.reason.find("holding part: battery_pct=20"), std::string::npos) << d.reason;
}

TEST(PolicyTest, MissingSignalsDoNotBlockTheOthers) {
  GovernorConfig c = thermal_only();
  c.signals[static_cast<size_t>(SignalId::kPsiSome)] = {true, 10, 2, 50};
  Sample s = thermal(90);  // PSI missing
  Decision d = decide(c, s, PolicyState{}, 0);
  ASSERT_TRUE(d.switch_to);
  PolicyState part;
  part.mode = P;
  d = decide(c, thermal(40), part, 0);  // PSI still missing: thermal alone may clear
  ASSERT_TRUE(d.switch_to);
  EXPECT_EQ(*d.switch_to, F);
}

TEST(PolicyTest, ManualOverrideStopsAutomaticSwitching) {
  const GovernorConfig c = thermal_only();
  PolicyState state;
  state.automatic = false;
  const Decision d = decide(c, thermal(120), state, 0);
  EXPECT_FALSE(d.switch_to);
  EXPECT_NE(d.reason.find("manual"), std::string::npos);
}

TEST(PolicyTest, SamplerAndPolicyTogetherOnAFakeTree) {
  FakeTree tree;
  tree.calm();
  GovernorConfig c = config_for(tree);
  Sampler sampler(c);
  PolicyState state;
  EXPECT_FALSE(decide(c, sampler.sample(), state, 0).switch_to);
  tree.cgroup("nestrt.slice/nestrtd.service", 950, "1000", 0);  // usage 0.95 >= 0.90
  Decision d = decide(c, sampler.sample(), state, 1000);
  ASSERT_TRUE(d.switch_to);
  EXPECT_NE(d.reason.find("cgroup_usage=0.95"), std::string::npos) << d.reason;
  state.mode = P;
  tree.cgroup("nestrt.slice/nestrtd.service", 800, "1000", 0);  // 0.8: between exit 0.75 and enter
  EXPECT_FALSE(decide(c, sampler.sample(), state, 2000).switch_to);
  tree.cgroup("nestrt.slice/nestrtd.service", 700, "1000", 0);
  d = decide(c, sampler.sample(), state, 3000);
  ASSERT_TRUE(d.switch_to);
  EXPECT_EQ(*d.switch_to, F);
}

}  // namespace
}  // namespace nestrt::daemon
