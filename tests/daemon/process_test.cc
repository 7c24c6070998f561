// The real nestrtd binary and the nestrt CLI (native builds only: qemu-user cannot exec another
// guest binary): --foreground, --check, daemonizing, `nestrt client` / `nestrt ctl`, SIGHUP,
// SIGTERM, and a real cgroup v2 memory.high test where the machine allows it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fake_tree.h"
#include "test_daemon.h"

namespace nestrt::daemon::testing {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult run(const std::string& command, bool merge_stderr = true) {
  CommandResult r;
  FILE* pipe = popen((merge_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// nestrtd --foreground as a child process, stderr to <tree>/nestrtd.log. `before_exec` runs in
// the child (e.g. to enter a cgroup).
class DaemonProcess {
 public:
  DaemonProcess(const FakeTree& tree, const std::string& config_text, const std::string& before_exec_cgroup = "")
      : log_(tree.path("nestrtd.log")), socket_(tree.path("nestrtd.sock")) {
    tree.write("nestrtd.toml", config_text);
    const std::string config = tree.path("nestrtd.toml");
    pid_ = fork();
    if (pid_ == 0) {
      if (!before_exec_cgroup.empty()) {
        const int fd = open((before_exec_cgroup + "/cgroup.procs").c_str(), O_WRONLY);
        if (fd < 0 || write(fd, "0", 1) != 1) _exit(90);
        close(fd);
      }
      const int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, STDERR_FILENO);
      execl(NESTRTD_BINARY, NESTRTD_BINARY, "--foreground", "--config", config.c_str(), nullptr);
      _exit(91);
    }
  }
  ~DaemonProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The socket file appears at bind(), a moment before listen(): wait until a connect succeeds.
  bool wait_serving() {
    auto accepting = [&] {
      try {
        RawClient probe(socket_);
        return true;
      } catch (const std::runtime_error&) {
        return false;
      }
    };
    return wait_until([&] { return accepting() || exited(); }) && accepting();
  }
  // Exit code after a signal, or -1.
  int stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  bool exited() {
    int status;
    return waitpid(pid_, &status, WNOHANG) == pid_ ? (pid_ = -1, true) : false;
  }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_text(log_); }
  const std::string& socket() const { return socket_; }

 private:
  std::string log_, socket_;
  pid_t pid_ = -1;
};

// governor_keys go into [governor]; governor_tables ([governor.<signal>] tables) follow it.
std::string base_config(const FakeTree& tree, const std::string& governor_keys = "",
                        const std::string& governor_tables = "") {
  return "[server]\nsocket = \"" + tree.path("nestrtd.sock") + "\"\n[governor]\npoll_ms = 100\nmin_dwell_ms = 0\n" +
         (governor_keys.empty() ? "proc_root = \"" + tree.proc() + "\"\nsys_root = \"" + tree.sys() + "\"\n"
                                : governor_keys) +
         governor_tables + "[[model]]\nname = \"fashion\"\npath = \"" + NESTRT_TEST_MODEL + "\"\n";
}

std::string ctl(const std::string& socket, const std::string& args) {
  return std::string(NESTRT_CLI) + " ctl --socket " + socket + " " + args;
}

TEST(ProcessTest, ForegroundDaemonServesTheCliAndHandlesSignals) {
  FakeTree tree;
  tree.calm();
  DaemonProcess d(tree, base_config(tree));
  ASSERT_TRUE(d.wait_serving()) << d.log();

  CommandResult r = run(ctl(d.socket(), "status"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mode=full"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pid=" + std::to_string(d.pid())), std::string::npos) << r.output;

  r = run(std::string(NESTRT_CLI) + " client --socket " + d.socket() + " --model fashion --input " +
          NESTRT_FASHION_DIR + "/t10k-images-idx3-ubyte.gz --limit 2 -k 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sample 1, full mode:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1. class"), std::string::npos) << r.output;

  r = run(ctl(d.socket(), "switch part"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("switched to part"), std::string::npos) << r.output;
  r = run(ctl(d.socket(), "budget 1G"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("full: budget 1073741824 bytes, weights kept"), std::string::npos) << r.output;
  r = run(ctl(d.socket(), "budget 12X"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("budget '12X': expected bytes"), std::string::npos) << r.output;
  r = run(ctl(d.socket(), "switch half"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("usage: nestrt ctl"), std::string::npos) << r.output;
  r = run(ctl(d.socket(), "policy on"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(std::string(NESTRT_CLI) + " client --socket " + d.socket() + " --model nope --input " + NESTRT_FASHION_DIR +
          "/t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown-model: no model named 'nope'"), std::string::npos) << r.output;

  // SIGHUP: a second model appears for a client that stays connected across the reload.
  tree.write("nestrtd.toml", base_config(tree) + "[[model]]\nname = \"copy\"\npath = \"" + NESTRT_TEST_MODEL + "\"\n");
  RawClient held(d.socket());
  kill(d.pid(), SIGHUP);
  ASSERT_TRUE(wait_until([&] { return d.log().find("reloaded") != std::string::npos; })) << d.log();
  ASSERT_TRUE(held.send(protocol::encode_model_info(1, "copy")));
  auto resp = held.receive();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->code, protocol::Code::kOk) << resp->message;

  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  EXPECT_NE(d.log().find("stopped requests="), std::string::npos) << d.log();
  EXPECT_FALSE(exists(d.socket()));
  r = run(ctl(d.socket(), "status"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot connect to nestrtd"), std::string::npos) << r.output;
}

TEST(ProcessTest, CheckAndDaemonize) {
  FakeTree tree;
  tree.calm();
  tree.write("bad.toml", "[server]\nworkers = 0\n[[model]]\nname = \"m\"\npath = \"/x\"\n");
  CommandResult r = run(std::string(NESTRTD_BINARY) + " --check --config " + tree.path("bad.toml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.toml:2:11: server.workers must be 1..64"), std::string::npos) << r.output;
  tree.write("missing-model.toml", "[[model]]\nname = \"m\"\npath = \"" + tree.path("none.nest") + "\"\n");
  r = run(std::string(NESTRTD_BINARY) + " --check --config " + tree.path("missing-model.toml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("model 'm'"), std::string::npos) << r.output;
  tree.write("nestrtd.toml", base_config(tree));
  r = run(std::string(NESTRTD_BINARY) + " --check --config " + tree.path("nestrtd.toml"));
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // Without --foreground the parent returns once the child serves.
  // Its stderr (the log) goes to a file: a daemon holding our pipe open would block popen forever.
  r = run(std::string(NESTRTD_BINARY) + " --config " + tree.path("nestrtd.toml") + " 2>" + tree.path("bg.log"), false);
  ASSERT_EQ(r.exit_code, 0) << r.output << read_text(tree.path("bg.log"));
  ASSERT_TRUE(exists(tree.path("nestrtd.sock")));
  r = run(ctl(tree.path("nestrtd.sock"), "status"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("pid=");
  ASSERT_NE(at, std::string::npos);
  const pid_t pid = static_cast<pid_t>(std::stol(r.output.substr(at + 4)));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_TRUE(wait_until([&] { return kill(pid, 0) != 0; }));
  EXPECT_FALSE(exists(tree.path("nestrtd.sock")));
}

// --- Real pressure: a cgroup v2 memory.high below what full mode needs ----------------------------

// The cgroup2 mount point, or "" (from /proc/self/mountinfo).
std::string cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mount, options, field;
    f >> id >> parent >> dev >> root >> mount >> options;
    while (f >> field && field != "-") {
    }
    std::string fstype;
    f >> fstype;
    if (fstype == "cgroup2") return mount;
  }
  return "";
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

TEST(ProcessTest, RealCgroupMemoryHighSwitchesToPartByItself) {
  // Runs wherever the machine lets us: it creates its own child cgroup (removed afterwards) and only
  // that cgroup's memory.high is lowered; every missing prerequisite is a skip that says which.
  const std::string mount = cgroup2_mount();
  if (mount.empty()) GTEST_SKIP() << "no cgroup2 filesystem mounted: cannot create a cgroup v2 for the daemon";
  if (mount.rfind("/sys/fs/cgroup", 0) != 0) {
    GTEST_SKIP() << "cgroup2 is mounted at " << mount << ", outside /sys/fs/cgroup where the governor looks";
  }
  if (read_text(mount + "/cgroup.controllers").find("memory") == std::string::npos) {
    GTEST_SKIP() << "the cgroup v2 hierarchy at " << mount
                 << " has no memory controller (cgroup v1 or hybrid mode owns it): no memory.high to test against";
  }
  const std::string rel = "nestrt-test-" + std::to_string(getpid());
  const std::string dir = mount + "/" + rel;
  if (mkdir(dir.c_str(), 0755) != 0) {
    GTEST_SKIP() << "cannot create cgroup " << dir << ": " << std::strerror(errno) << " (needs root or delegation)";
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() { rmdir(dir.c_str()); }
  } cleanup{dir};
  write_file(mount + "/cgroup.subtree_control", "+memory");  // may already be on
  if (!exists(dir + "/memory.high")) {
    GTEST_SKIP() << "cannot enable the memory controller for " << dir << " (subtree_control refused)";
  }
  FakeTree tree;  // only for the config, log and socket: signals come from the real /proc and /sys
  std::string below = mount.substr(std::string("/sys/fs/cgroup").size());  // "" or e.g. "/unified"
  if (!below.empty()) below = below.substr(1) + "/";
  const std::string keys = "proc_root = \"/proc\"\nsys_root = \"/sys\"\ncgroup = \"" + below + rel + "\"\n";
  std::string tables;
  for (const char* s : {"psi_some", "psi_full", "mem_available_mb", "thermal_c", "battery_pct", "load_per_cpu"}) {
    tables += std::string("[governor.") + s + "]\nenabled = false\n";
  }
  const std::string config = base_config(tree, keys, tables);
  DaemonProcess d(tree, config, dir);
  ASSERT_TRUE(d.wait_serving()) << d.log();
  ASSERT_NE(run(ctl(d.socket(), "status")).output.find("mode=full"), std::string::npos);
  // Full mode is serving: now make memory.high lower than what it uses.
  const uint64_t current = std::stoull(read_text(dir + "/memory.current"));
  ASSERT_TRUE(write_file(dir + "/memory.high", std::to_string(current * 9 / 10)));
  const bool switched =
      wait_until([&] { return run(ctl(d.socket(), "status")).output.find("\nmode=part") != std::string::npos; });
  EXPECT_TRUE(switched) << d.log();
  EXPECT_NE(d.log().find("reason=\"cgroup_"), std::string::npos) << d.log();
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace nestrt::daemon::testing
