// sasrnn: one command-line tool, one subcommand per stage. Each subcommand's options are in its
// own file here (see commands.hpp); its work is done by the library of its stage.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>
#include <unistd.h>

#include "commands.hpp"
#include "sasrnn/version.hpp"

std::function<void(int, int)> sasrnn::cli::progress_line(const std::string& what,
                                                         const std::string& unit) {
  if (isatty(fileno(stderr)) == 0) return {};
  // a progress line on a terminal: a failed write changes nothing, hence the (void)
  return [what, unit](int done, int total) {
    (void)std::fprintf(stderr, "\r%s: %d/%d %s", what.c_str(), done, total, unit.c_str());
    if (done == total) (void)std::fprintf(stderr, "\r%*s\r", static_cast<int>(what.size() + unit.size() + 24), "");
    (void)std::fflush(stderr);
  };
}

std::string& sasrnn::cli::command_line() {
  static std::string line;
  return line;
}

namespace {

/// "'S' is not a finite number" for a number that parses but is NaN or infinite (CLI11's range
/// checks compare, and every comparison with NaN is false: NaN passed them all).
std::string not_finite(std::string& text) {
  double v = 0;
  if (CLI::detail::lexical_cast(text, v) && !std::isfinite(v))
    return "'" + text + "' is not a finite number";
  return {};
}

/// "'S' is negative" for an unsigned option (CLI11 converts "-1" to 2^64 - 1 without a word).
std::string negative(std::string& text) {
  const size_t k = text.find_first_not_of(" \t");
  if (k != std::string::npos && text[k] == '-') return "'" + text + "' is negative (expected >= 0)";
  return {};
}

}  // namespace

void sasrnn::cli::check_numbers(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) check_numbers(*sub);
  for (CLI::Option* o : app.get_options()) {
    if (o->get_expected_max() == 0) continue;  // a flag
    const std::string type = o->get_type_name();
    // an empty description keeps the help as it is ("FLOAT:NONNEGATIVE", not "...:FINITE")
    if (type.rfind("FLOAT", 0) == 0) o->check(CLI::Validator(not_finite, ""));
    if (type.rfind("UINT", 0) == 0) o->check(CLI::Validator(negative, ""));
  }
}

std::string sasrnn::cli::one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

namespace {

int run_cli(int argc, char** argv) {
  using sasrnn::cli::kExitUsage;
  for (int i = 0; i < argc; ++i)
    sasrnn::cli::command_line() += (i ? " " : "") + std::string(i ? argv[i] : "sasrnn");
  CLI::App app{
      "sasrnn: spike-and-slab recurrent networks -- train, convert, inspect, verify and run"};
  app.set_version_flag("--version", std::string("sasrnn ") + SASRNN_VERSION,
                       "Print the version of sasrnn and exit");
  app.require_subcommand(1);
  app.footer("Run `sasrnn COMMAND --help` for a command's options and an example.\n"
             "Exit codes: 0 success, 1 the work failed (a file, the data, the model, training), "
             "2 a usage error (the command line), 130/143 training interrupted by SIGINT/SIGTERM "
             "after writing its checkpoint (docs/cli.md).");
  int status = 0;
  sasrnn::cli::add_inspect_verify(app, status);
  sasrnn::cli::add_run(app, status);
  sasrnn::cli::add_train(app, status);
  sasrnn::cli::add_bench(app, status);
  sasrnn::cli::add_convert(app, status);
  sasrnn::cli::add_export_c(app, status);
  sasrnn::cli::add_analyze(app, status);
  sasrnn::cli::check_numbers(app);
  std::string names;
  std::vector<std::string> known;
  for (const CLI::App* sub : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
    known.push_back(sub->get_name());
  }
  // The command of this invocation (the first word that is not an option), for the error prefix.
  std::string command;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    if (std::find(known.begin(), known.end(), command) == known.end()) {  // one line naming the commands
      std::cerr << "sasrnn: unknown command '" << sasrnn::cli::one_line(command)
                << "' (commands: " << names << "; see sasrnn --help)\n";
      return kExitUsage;
    }
  }
  const std::string prefix = command.empty() ? "sasrnn: " : "sasrnn " + command + ": ";
  // The subcommand's arguments, with a `--config FILE` expanded into options (config_file.cpp).
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "train") {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
      sasrnn::cli::expand_config_file(*app.get_subcommand("train"), rest);
    } catch (const std::exception& e) {
      std::cerr << "sasrnn train: " << sasrnn::cli::one_line(e.what()) << "\n";
      return sasrnn::cli::kExitFailure;
    }
    args.erase(args.begin() + 1, args.end());
    args.insert(args.end(), rest.begin(), rest.end());
    sasrnn::cli::command_line() = "sasrnn";  // provenance records the options the file gave
    for (const std::string& a : args) sasrnn::cli::command_line() += " " + a;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (command.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr &&
        app.get_subcommands().empty()) {
      std::cerr << "sasrnn: a command is required (commands: " << names << "; see sasrnn --help)\n";
      return kExitUsage;
    }
    std::cerr << prefix << sasrnn::cli::one_line(e.what()) << " (see sasrnn "
              << (command.empty() ? "" : command + " ") << "--help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {  // a command's own errors are caught and printed by it
    std::cerr << prefix << sasrnn::cli::one_line(e.what()) << "\n";
    return sasrnn::cli::kExitFailure;
  }
  return status;
}

}  // namespace

// Nothing escapes main(): what the set-up before a command's own error handling throws
// (std::bad_alloc, CLI11's construction errors) is one line and exit code 1 too.
int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "sasrnn: " << sasrnn::cli::one_line(e.what()) << "\n";
  } catch (...) {
    std::cerr << "sasrnn: unknown error\n";
  }
  return sasrnn::cli::kExitFailure;
}
