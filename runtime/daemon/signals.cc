#include "signals.h"

#include <atomic>
#include <csignal>

#include "server.h"

namespace nestrt::daemon {
namespace {

std::atomic<Daemon*> g_daemon{nullptr};
static_assert(std::atomic<Daemon*>::is_always_lock_free, "the handler reads it: must be lock-free");

void on_signal(int sig) {
  Daemon* d = g_daemon.load();
  if (!d) return;
  if (sig == SIGHUP) {
    d->request_reload();
  } else {
    d->request_stop();
  }
}

}  // namespace

void install_signal_handlers(Daemon* daemon) {
  g_daemon = daemon;
  struct sigaction sa {};
  sa.sa_handler = daemon ? on_signal : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a vanished client must not kill the daemon (send uses MSG_NOSIGNAL too)
}

}  // namespace nestrt::daemon
