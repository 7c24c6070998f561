// nestrtd: serves nested int8 models to local clients over a Unix socket and switches them
// between full-bit and part-bit mode under memory, thermal and battery pressure.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "config.h"
#include "log.h"
#include "server.h"
#include "signals.h"

namespace {

void raise_fd_limit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nestrtd: serve nested int8 models over a Unix socket and govern their precision"};
  std::string config_path = NESTRTD_DEFAULT_CONFIG;
  bool foreground = false, check = false, verbose = false;
  app.add_option("-c,--config", config_path, "TOML config (docs/daemon.md lists the keys)")->capture_default_str();
  app.add_flag("-f,--foreground", foreground, "Stay in the foreground (systemd, containers, tests)");
  app.add_flag("--check", check, "Validate the config and the models, then exit");
  app.add_flag("-v,--verbose", verbose, "Also log every governor decision and per-client events (debug level)");
  app.set_version_flag("--version", std::string("nestrtd ") + nestrt_version());
  CLI11_PARSE(app, argc, argv);
  nestrt::daemon::set_log_verbose(verbose);

  nestrt::daemon::Config config;
  try {
    config = nestrt::daemon::load_config(config_path);
  } catch (const std::exception& e) {
    nestrt::daemon::log_error(std::string("config: ") + e.what());
    return 1;
  }
  if (check) {
    for (const auto& m : config.models) {
      nestrt_model_options o;
      nestrt_model_options_init(&o);
      o.verify_checksums = m.verify_checksums ? 1 : 0;
      nestrt_model* model = nullptr;
      if (nestrt_model_load(m.path.c_str(), &o, &model) != NESTRT_OK) {
        nestrt::daemon::log_error("model '" + m.name + "': " + nestrt_last_error());
        return 1;
      }
      nestrt_model_release(model);
    }
    std::printf("%s: ok (%zu models)\n", config_path.c_str(), config.models.size());
    return 0;
  }
  raise_fd_limit();
  int ready_pipe[2] = {-1, -1};
  if (!foreground) {
    // Classic daemon: the parent exits once the child is serving (or reports why it could not).
    if (pipe(ready_pipe) != 0) return 1;
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid > 0) {
      close(ready_pipe[1]);
      char ok = 0;
      const bool ready = read(ready_pipe[0], &ok, 1) == 1 && ok == 1;
      return ready ? 0 : 1;
    }
    close(ready_pipe[0]);
    setsid();
    [[maybe_unused]] const int rc = chdir("/");
    // stdin and stdout from/to /dev/null (an inherited pipe would never see EOF); stderr, the log,
    // stays where the caller put it (`nestrtd -c F 2>>/var/log/nestrtd.log`).
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      if (null > STDERR_FILENO) close(null);
    }
  }
  try {
    nestrt::daemon::Daemon daemon(config, config_path);
    nestrt::daemon::install_signal_handlers(&daemon);
    if (ready_pipe[1] >= 0) {
      const char ok = 1;
      [[maybe_unused]] const ssize_t n = write(ready_pipe[1], &ok, 1);
      close(ready_pipe[1]);
    }
    const int rc = daemon.run();
    nestrt::daemon::install_signal_handlers(nullptr);
    return rc;
  } catch (const std::exception& e) {
    nestrt::daemon::log_error(std::string("fatal: ") + e.what());
    return 1;
  }
}
