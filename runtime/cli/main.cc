// nestrt: run, evaluate and inspect nested int8 models.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "commands.h"
#include "nestrt/kernels/dispatch.h"
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
  std::string kernels;
  app.add_option("--kernels", kernels,
                 "Force a kernel variant (ref, neon, neondot, i8mm, avx2, avx512vnni; default: the fastest this "
                 "CPU runs, or $NESTRT_KERNELS); one the CPU lacks is an error");
  std::vector<nestrt::cli::Command> commands;
  for (const auto& r : registered) commands.push_back(r.factory(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error prints CLI11's message and exits 2 (as
    // nestrt-convert does), keeping 1 for errors of the work itself.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (!kernels.empty()) nestrt::kernels::set_variant(nestrt::kernels::parse_variant(kernels));
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
