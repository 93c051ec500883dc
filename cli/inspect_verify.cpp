// sasrnn inspect / verify (converter/).
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "sasrnn/converter/commands.hpp"

namespace sasrnn::cli {

void add_inspect_verify(CLI::App& app, int& status) {
  auto inspect_path = std::make_shared<std::string>();
  auto* inspect =
      app.add_subcommand("inspect", "Print a model's shapes, dynamics, sparsity, size and provenance");
  inspect->add_option("model", *inspect_path, "Model file (.sasrnn)")->required();
  inspect->footer("Example:\n  sasrnn inspect models/msi_n150.sasrnn");
  inspect->callback([&status, inspect_path] {
    status = conv::inspect_command(*inspect_path, std::cout, std::cerr);
  });

  auto verify_path = std::make_shared<std::string>();
  auto* verify =
      app.add_subcommand("verify", "Verify a model file as the runtime does; exit 0 if valid");
  verify->add_option("model", *verify_path, "Model file (.sasrnn)")->required();
  verify->footer("Example:\n  sasrnn verify models/msi_n150_compact.sasrnn && echo valid");
  verify->callback([&status, verify_path] {
    status = conv::verify_command(*verify_path, std::cout, std::cerr);
  });
}

}  // namespace sasrnn::cli
