// A throwaway /proc + /sys tree for the governor: tests write the signal files the Sampler reads.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace nestrt::daemon::testing {

class FakeTree {
 public:
  FakeTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nestrtd-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~FakeTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;

  std::string root() const { return root_.string(); }
  std::string proc() const { return (root_ / "proc").string(); }
  std::string sys() const { return (root_ / "sys").string(); }
  std::string path(const std::string& rel) const { return (root_ / rel).string(); }

  // Writes atomically (rename), as the kernel's files never show a half-written value.
  void write(const std::string& rel, const std::string& text) const {
    const auto p = root_ / rel;
    std::filesystem::create_directories(p.parent_path());
    const auto tmp = p.string() + ".tmp";
    {
      std::ofstream out(tmp);
      out << text;
    }
    std::filesystem::rename(tmp, p);
  }
  void remove(const std::string& rel) const { std::filesystem::remove_all(root_ / rel); }

  void psi(double some, double full) const {
    write("proc/pressure/memory", "some avg10=" + std::to_string(some) + " avg60=0.00 avg300=0.00 total=1\n" +
                                      "full avg10=" + std::to_string(full) + " avg60=0.00 avg300=0.00 total=1\n");
  }
  void mem_available_mb(double mb) const {
    write("proc/meminfo", "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:   " +
                              std::to_string(static_cast<long>(mb * 1024)) + " kB\n");
  }
  void thermal_c(int zone, double c) const {
    write("sys/class/thermal/thermal_zone" + std::to_string(zone) + "/temp",
          std::to_string(static_cast<long>(c * 1000)) + "\n");
  }
  void battery(const std::string& name, double pct, const std::string& status) const {
    write("sys/class/power_supply/" + name + "/capacity", std::to_string(static_cast<int>(pct)) + "\n");
    write("sys/class/power_supply/" + name + "/status", status + "\n");
  }
  void loadavg(double one) const { write("proc/loadavg", std::to_string(one) + " 0.50 0.40 1/100 1234\n"); }
  void cgroup(const std::string& rel, uint64_t current, const std::string& high, uint64_t high_events) const {
    write("proc/self/cgroup", "0::/" + rel + "\n");
    write("sys/fs/cgroup/" + rel + "/memory.current", std::to_string(current) + "\n");
    write("sys/fs/cgroup/" + rel + "/memory.high", high + "\n");
    write("sys/fs/cgroup/" + rel + "/memory.events",
          "low 0\nhigh " + std::to_string(high_events) + "\nmax 0\noom 0\noom_kill 0\n");
  }
  // Every signal present and calm.
  void calm() const {
    psi(0, 0);
    mem_available_mb(4000);
    thermal_c(0, 45);
    battery("BAT0", 90, "Discharging");
    loadavg(0.5);
    cgroup("nestrt.slice/nestrtd.service", 100 << 20, "1073741824", 0);
  }

 private:
  std::filesystem::path root_;
};

}  // namespace nestrt::daemon::testing
