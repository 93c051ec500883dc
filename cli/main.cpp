// sasrnn: one command-line tool, one subcommand per stage. Each subcommand's options are in its
// own file here (see commands.hpp); its work is done by the library of its stage.
#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "sasrnn: spike-and-slab recurrent networks -- train, convert, inspect, verify and run"};
  app.require_subcommand(1);
  int status = 0;
  sasrnn::cli::add_inspect_verify(app, status);
  sasrnn::cli::add_run(app, status);
  CLI11_PARSE(app, argc, argv);
  return status;
}
