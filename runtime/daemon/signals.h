// SIGTERM/SIGINT -> drain and stop, SIGHUP -> reload the config, SIGPIPE ignored. The handlers
// only call the daemon's async-signal-safe request_*() methods.
#pragma once

namespace nestrt::daemon {

class Daemon;

// Routes the signals to `daemon` (nullptr: restores the default dispositions).
void install_signal_handlers(Daemon* daemon);

}  // namespace nestrt::daemon
