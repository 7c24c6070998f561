// The nestrt CLI's subcommands. Each registers its options on the app and returns the function
// that runs it; main() dispatches and turns exceptions into `nestrt: error: ...` + exit 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace nestrt::cli {

using Command = std::function<int()>;

Command add_info_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_eval_command(CLI::App& app);

}  // namespace nestrt::cli
