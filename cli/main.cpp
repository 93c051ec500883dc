// sasrnn: one command-line tool, one subcommand per stage. Each subcommand's options are in its
// own file here (see commands.hpp); its work is done by the library of its stage.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <cstdio>
#include <unistd.h>

#include "commands.hpp"
#include "sasrnn/version.hpp"

std::function<void(int, int)> sasrnn::cli::progress_line(const std::string& what,
                                                         const std::string& unit) {
  if (isatty(fileno(stderr)) == 0) return {};
  return [what, unit](int done, int total) {
    std::fprintf(stderr, "\r%s: %d/%d %s", what.c_str(), done, total, unit.c_str());
    if (done == total) std::fprintf(stderr, "\r%*s\r", static_cast<int>(what.size() + unit.size() + 24), "");
    std::fflush(stderr);
  };
}

std::string& sasrnn::cli::command_line() {
  static std::string line;
  return line;
}

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i)
    sasrnn::cli::command_line() += (i ? " " : "") + std::string(i ? argv[i] : "sasrnn");
  CLI::App app{
      "sasrnn: spike-and-slab recurrent networks -- train, convert, inspect, verify and run"};
  app.set_version_flag("--version", std::string("sasrnn ") + SASRNN_VERSION,
                       "Print the version of sasrnn and exit");
  app.require_subcommand(1);
  app.footer("Run `sasrnn COMMAND --help` for a command's options and an example.");
  int status = 0;
  sasrnn::cli::add_inspect_verify(app, status);
  sasrnn::cli::add_run(app, status);
  sasrnn::cli::add_train(app, status);
  sasrnn::cli::add_bench(app, status);
  sasrnn::cli::add_convert(app, status);
  sasrnn::cli::add_export_c(app, status);
  sasrnn::cli::add_analyze(app, status);
  // An unknown command: one line naming the commands (CLI11 would print two about extra arguments).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      known = known || sub->get_name() == word;
    }
    if (!known) {
      std::cerr << "sasrnn: unknown command '" << word << "' (commands: " << names
                << "; see sasrnn --help)\n";
      return 1;
    }
  }
  CLI11_PARSE(app, argc, argv);
  return status;
}
