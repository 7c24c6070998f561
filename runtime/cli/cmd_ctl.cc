// nestrt ctl: control the nestrtd daemon: status, manual switch, weight budget, governor policy on/off.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "commands.h"
#include "nestrt/nestrt_client.h"

namespace nestrt::cli {
namespace {

struct CtlOptions {
  std::string socket = "/run/nestrtd/nestrtd.sock";
  std::vector<std::string> words;
  int timeout_ms = 30000;
};

constexpr const char* kUsage =
    "usage: nestrt ctl [--socket S] status | switch full|part | budget BYTES | policy on|off";

// "123", "64K", "512M", "1G" (binary multiples) -> bytes; nullopt on anything else.
std::optional<uint64_t> parse_bytes(const std::string& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  size_t end = 0;
  uint64_t value;
  try {
    value = std::stoull(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string suffix = text.substr(end);
  int shift = 0;
  if (suffix == "K" || suffix == "KiB")
    shift = 10;
  else if (suffix == "M" || suffix == "MiB")
    shift = 20;
  else if (suffix == "G" || suffix == "GiB")
    shift = 30;
  else if (!suffix.empty())
    return std::nullopt;
  if (shift && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

int run_ctl(const CtlOptions& o) {
  const auto& w = o.words;
  const bool ok_syntax = (w.size() == 1 && w[0] == "status") ||
                         (w.size() == 2 && w[0] == "switch" && (w[1] == "full" || w[1] == "part")) ||
                         (w.size() == 2 && w[0] == "budget") ||
                         (w.size() == 2 && w[0] == "policy" && (w[1] == "on" || w[1] == "off"));
  if (!ok_syntax) throw std::runtime_error(kUsage);
  std::optional<uint64_t> budget;
  if (w[0] == "budget" && !(budget = parse_bytes(w[1]))) {
    throw std::runtime_error("budget '" + w[1] + "': expected bytes, optionally with K, M or G (e.g. 96M)");
  }
  nestrt_client* c = nullptr;
  if (nestrt_client_connect(o.socket.c_str(), o.timeout_ms, &c) != NESTRT_CLIENT_OK) {
    throw std::runtime_error("cannot connect to nestrtd at " + o.socket + " (is it running? permission?)");
  }
  std::unique_ptr<nestrt_client, void (*)(nestrt_client*)> guard(c, nestrt_client_close);
  nestrt_client_status s;
  if (w[0] == "status") {
    std::vector<char> text(1 << 16);
    s = nestrt_client_status_text(c, text.data(), text.size());
    if (s == NESTRT_CLIENT_OK) std::fputs(text.data(), stdout);
  } else if (w[0] == "switch") {
    s = nestrt_client_switch(c, w[1] == "part" ? NESTRT_MODE_PART : NESTRT_MODE_FULL);
    if (s == NESTRT_CLIENT_OK) std::printf("%s\n", nestrt_client_message(c));
  } else if (w[0] == "budget") {
    s = nestrt_client_budget(c, *budget);
    if (s == NESTRT_CLIENT_OK) std::printf("%s\n", nestrt_client_message(c));
  } else {
    s = nestrt_client_policy(c, w[1] == "on");
    if (s == NESTRT_CLIENT_OK) std::printf("%s\n", nestrt_client_message(c));
  }
  if (s != NESTRT_CLIENT_OK) {
    throw std::runtime_error(std::string("nestrtd: ") + nestrt_client_status_string(s) + ": " +
                             nestrt_client_message(c));
  }
  return 0;
}

Command add_ctl_command(CLI::App& app) {
  auto options = std::make_shared<CtlOptions>();
  CLI::App* cmd =
      app.add_subcommand("ctl", "Control nestrtd: status | switch full|part | budget BYTES | policy on|off");
  cmd->add_option("-s,--socket", options->socket, "The daemon's Unix socket")->capture_default_str();
  cmd->add_option("--timeout-ms", options->timeout_ms, "Longest wait for the daemon")->capture_default_str();
  cmd->add_option("command", options->words, "status | switch full|part | budget BYTES | policy on|off")->required();
  return [cmd, options] { return cmd->parsed() ? run_ctl(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(70, add_ctl_command);

}  // namespace nestrt::cli
