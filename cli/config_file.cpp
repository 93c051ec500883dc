// `--config FILE` for a subcommand: a TOML/INI file of `name = value` lines (names as the long
// options without the dashes) is read with CLI11's own config parser and expanded into the command
// line before parsing, so every option keeps its validators, groups and recipe defaults. An option
// given on the command line wins over the file (the file's value is then dropped, for lists too).
// CLI11 2.1 applies a config file only at the top level (a subcommand's set_config() is silently
// ignored), which is why the expansion is done here.
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"

namespace sasrnn::cli {

namespace {

/// True if `args` (the subcommand's own arguments) give option `o` by any of its names.
bool given(const CLI::Option& o, const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    for (const std::string& n : o.get_lnames())
      if (a == "--" + n || a.rfind("--" + n + "=", 0) == 0) return true;
    for (const std::string& n : o.get_snames())
      if (a.rfind("-" + n, 0) == 0 && a.rfind("--", 0) != 0) return true;
  }
  return false;
}

}  // namespace

void expand_config_file(const CLI::App& sub, std::vector<std::string>& args) {
  // Find --config FILE / --config=FILE among the subcommand's arguments.
  std::string path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return;  // CLI11 reports the missing value
      path = args[i + 1];
    } else if (args[i].rfind("--config=", 0) == 0) {
      path = args[i].substr(9);
    }
  }
  if (path.empty()) return;
  const std::string where = "--config " + path + ": ";
  {
    std::ifstream probe(path);
    if (!probe) throw std::runtime_error(where + "cannot open the file");
  }
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    throw std::runtime_error(where + e.what());
  }
  std::vector<std::string> extra;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "--" || item.name == "++") continue;  // CLI11's section markers
    const bool section_ok =
        item.parents.empty() || (item.parents.size() == 1 && item.parents[0] == sub.get_name());
    if (!section_ok)
      throw std::runtime_error(where + "section [" + item.fullname().substr(0, item.fullname().rfind('.')) +
                               "] is not [" + sub.get_name() + "]");
    const CLI::Option* o = sub.get_option_no_throw("--" + item.name);
    if (o == nullptr || item.name == "config" || item.name == "help")
      throw std::runtime_error(where + "'" + item.name + "' is not an option of sasrnn " +
                               sub.get_name() + " (see its --help)");
    if (given(*o, args)) continue;  // the command line wins
    if (o->get_expected_max() == 0) {  // a flag: true/false
      if (item.inputs.size() != 1)
        throw std::runtime_error(where + "'" + item.name + "' is a flag: write true or false");
      extra.push_back("--" + item.name + "=" + item.inputs[0]);
      continue;
    }
    if (item.inputs.empty())
      throw std::runtime_error(where + "'" + item.name + "' has no value");
    extra.push_back("--" + item.name);
    for (const std::string& v : item.inputs) extra.push_back(v);
  }
  args.insert(args.begin(), extra.begin(), extra.end());
}

}  // namespace sasrnn::cli
