// nestrt: run, evaluate and inspect nested int8 models.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "nestrt/nestrt.h"

int main(int argc, char** argv) {
  CLI::App app{"nestrt: nested int8 inference (full-bit and part-bit modes from one file)"};
  app.set_version_flag("--version", std::string("nestrt ") + nestrt_version());
  app.require_subcommand(1);
  const nestrt::cli::Command commands[] = {nestrt::cli::add_info_command(app), nestrt::cli::add_run_command(app),
                                           nestrt::cli::add_eval_command(app)};
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
