// nestrt: run, evaluate and inspect nested int8 models.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "commands.h"
#include "nestrt/nestrt.h"

namespace nestrt::cli {
std::vector<RegisteredCommand>& registered_commands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}
}  // namespace nestrt::cli

int main(int argc, char** argv) {
  CLI::App app{"nestrt: nested int8 inference (full-bit and part-bit modes from one file)"};
  app.set_version_flag("--version", std::string("nestrt ") + nestrt_version());
  app.require_subcommand(1);
  auto registered = nestrt::cli::registered_commands();
  std::sort(registered.begin(), registered.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<nestrt::cli::Command> commands;
  for (const auto& r : registered) commands.push_back(r.factory(app));
  CLI11_PARSE(app, argc, argv);
  try {
    for (const auto& command : commands) {
      const int rc = command();
      if (rc >= 0) return rc;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nestrt: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
