// sasrnn convert (converter/): format conversion between .sasrnn, .npz and .json.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "sasrnn/converter/convert.hpp"

namespace sasrnn::cli {

void add_convert(CLI::App& app, int& status) {
  auto options = std::make_shared<conv::ConvertOptions>();
  auto* convert = app.add_subcommand(
      "convert", "Convert a model between .sasrnn, .npz (NumPy) and .json; formats by file extension");
  convert->add_option("input", options->input, "Model to read (.sasrnn, .npz or .json)")->required();
  convert->add_option("output", options->output, "Model to write (.sasrnn, .npz or .json)")->required();
  convert->add_flag("--force", options->force, "Replace OUTPUT if it exists");
  convert->callback([&status, options] { status = conv::convert_command(*options, std::cout, std::cerr); });
}

}  // namespace sasrnn::cli
