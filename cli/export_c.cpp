// sasrnn export-c (converter/): a model file as a 16-byte aligned C array for firmware.
#include "sasrnn/converter/export_c.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"

namespace sasrnn::cli {

namespace {

struct ExportCArgs {
  std::string model;
  std::string name;
  std::string out_dir = ".";
  std::string language = "c++";
  bool force = false;
};

int export_c_command(const ExportCArgs& a) {
  try {
    const conv::ExportCResult r = conv::export_c_file(
        a.model, a.name, a.out_dir, a.language == "c" ? conv::CLanguage::C : conv::CLanguage::Cxx,
        a.force);
    std::cout << "wrote " << r.header_path << " and " << r.source_path << " (" << a.name << ", "
              << r.bytes << " bytes, " << r.sizes << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sasrnn export-c: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_export_c(CLI::App& app, int& status) {
  auto a = std::make_shared<ExportCArgs>();
  auto* cmd = app.add_subcommand(
      "export-c",
      "Write a verified model as a 16-byte aligned C array for firmware: DIR/NAME.h declares\n"
      "  extern const unsigned char NAME[]; extern const size_t NAME_size;\n"
      "(C and C++), DIR/NAME.cpp (or NAME.c with --lang c) defines them. Same input, same bytes.");
  cmd->add_option("model", a->model, "Model file (.sasrnn); must pass `sasrnn verify`")->required();
  cmd->add_option("--name", a->name, "C identifier of the array (also the file names)")->required();
  cmd->add_option("--out-dir,-o", a->out_dir, "Output directory, created if missing")
      ->capture_default_str();
  cmd->add_option("--lang", a->language,
                  "c++: write NAME.cpp (default); c: write NAME.c. The text is the same and "
                  "compiles as C11 and as C++11 or later")
      ->check(CLI::IsMember({"c++", "c"}))
      ->capture_default_str();
  cmd->add_flag("--force", a->force, "Replace NAME.h and NAME.cpp (or .c) if they exist");
  cmd->footer(
      "Example (the name the Cortex-M examples include):\n"
      "  sasrnn export-c models/msi_n150_compact.sasrnn --name sasrnn_msi_model --out-dir model");
  cmd->callback([&status, a] { status = export_c_command(*a); });
}

}  // namespace sasrnn::cli
