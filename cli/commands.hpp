// The sasrnn subcommands. Each is defined in its own file in cli/ (option parsing only); the work
// is done by the library of its stage (converter/, trainer/, firmware_examples/host/, bench/).
// A subcommand's callback stores its exit code in `status`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sasrnn/network.hpp"

namespace sasrnn::cli {

void add_inspect_verify(CLI::App& app, int& status);  // inspect_verify.cpp
void add_run(CLI::App& app, int& status);             // run.cpp
void add_train(CLI::App& app, int& status);           // train.cpp
void add_bench(CLI::App& app, int& status);  // bench.cpp
void add_convert(CLI::App& app, int& status);  // convert.cpp
void add_export_c(CLI::App& app, int& status);  // export_c.cpp
void add_analyze(CLI::App& app, int& status);   // analyze.cpp

/// Expands `--config FILE` among a subcommand's arguments into the options the file gives
/// (TOML/INI `name = value`; the command line wins); throws std::runtime_error with a one-line
/// reason for a bad file (config_file.cpp).
void expand_config_file(const CLI::App& sub, std::vector<std::string>& args);

/// Exit codes of every command (docs/cli.md "Exit codes"): 0 success; 1 the work failed (a
/// missing or invalid file, data, a model, a refused overwrite, training that went non-finite);
/// 2 a usage error (an unknown command or option, a bad value, options that do not go together);
/// 128 + the signal (130 SIGINT, 143 SIGTERM) for a training stopped by a signal after writing
/// its checkpoint.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

/// Adds to every number option of `app` and its subcommands the checks CLI11 lacks: a float must
/// be finite (NaN passes every CLI11 range), an unsigned must not be negative (CLI11 wraps -1 to
/// 2^64 - 1). Called once by main() after every command is added, so no option is left out.
void check_numbers(CLI::App& app);

/// `text` on one line (line breaks as spaces), for "sasrnn COMMAND: <cause>".
std::string one_line(std::string text);

/// The full command line of this invocation (for provenance), set by main().
std::string& command_line();

/// --mode names shared by every subcommand that runs the network.
const std::map<std::string, Mode>& mode_names();

/// A progress line on stderr for long evaluations, "WHAT: done/total UNIT", rewritten in place on
/// a terminal; nothing when stderr is not a terminal (logs stay clean).
std::function<void(int, int)> progress_line(const std::string& what, const std::string& unit);

/// Turns an option's name into its enum value; its help lists the names ("{a,b,c}") -- CLI11's
/// own CheckedTransformer help prints the mapped values, which are blank for an enum.
template <class E>
CLI::Validator enum_names(const std::map<std::string, E>& names) {
  std::string list;
  for (const auto& kv : names) list += (list.empty() ? "" : ",") + kv.first;
  CLI::Validator v = CLI::CheckedTransformer(names, CLI::ignore_case);
  v.description("{" + list + "}");
  return v;
}

}  // namespace sasrnn::cli
