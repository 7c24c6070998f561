// The nestrt CLI's subcommands. Each cmd_*.cc file registers one with NESTRT_REGISTER_COMMAND:
// a factory that adds the subcommand's options to the app and returns the function that runs
// it (returning -1 when its subcommand was not the one parsed). main() dispatches and turns
// exceptions into `nestrt: error: ...` + exit 1. CMake picks up new cmd_*.cc files by glob.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace nestrt::cli {

using Command = std::function<int()>;
using CommandFactory = Command (*)(CLI::App&);

struct RegisteredCommand {
  int order;  // position in --help
  CommandFactory factory;
};

std::vector<RegisteredCommand>& registered_commands();
inline int register_command(int order, CommandFactory factory) {
  registered_commands().push_back({order, factory});
  return 0;
}

}  // namespace nestrt::cli

#define NESTRT_REGISTER_COMMAND(order, factory) \
  static const int factory##_registration = ::nestrt::cli::register_command(order, factory)
