// The shared parts of `sasrnn analyze` reports (analyze_report.hpp).
#include "analyze_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace sasrnn::cli::report {

std::string fmt(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.*g", digits, v);  // (void): b holds any %g; length unused
  return b;
}

std::string pct(double v) {
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.2f %%", 100 * v);
  return b;
}

Csv::Csv(const fs::path& p, const std::string& header) : f_(p) {
  if (!f_) throw std::runtime_error(p.string() + ": cannot write");
  f_ << header << "\n";
  f_.precision(7);
}

void write_matrix(const fs::path& p, const std::vector<float>& v, uint32_t rows, uint32_t cols,
                  const uint8_t* mask) {
  std::ofstream f(p);
  if (!f) throw std::runtime_error(p.string() + ": cannot write");
  f.precision(5);
  for (uint32_t i = 0; i < rows; ++i) {
    for (uint32_t j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(i) * cols + j;
      if (j) f << ',';
      if (mask != nullptr && mask[k] == 0)
        f << "nan";
      else
        f << v[k];
    }
    f << "\n";
  }
}

std::vector<double> histogram(const std::vector<double>& v, double lo, double hi, int bins) {
  std::vector<double> h(static_cast<size_t>(bins), 0.0);
  for (double x : v) {
    int b = static_cast<int>((x - lo) / (hi - lo) * bins);
    b = std::min(bins - 1, std::max(0, b));
    h[static_cast<size_t>(b)] += 1;
  }
  for (double& x : h) x /= std::max<double>(1, static_cast<double>(v.size()));
  return h;
}

std::string shape(const std::vector<double>& h) {
  std::vector<double> s = h;
  std::sort(s.rbegin(), s.rend());
  const double first = h.front(), last = h.back();
  if (std::min(first, last) >= s[1] && h.size() > 2) return "U";
  if (first >= s[0]) return "L";
  return "other";
}

std::string verdict(bool shows) { return shows ? "**shows**" : "**does not show**"; }

OutputDir::OutputDir(const std::string& out, bool force) {
  const fs::path out_dir = fs::absolute(fs::path(out)).lexically_normal();
  name_ = out_dir.filename().empty() ? out_dir.parent_path().filename() : out_dir.filename();
  final_ = out_dir.filename().empty() ? out_dir.parent_path() : out_dir;
  if (fs::exists(final_) && !fs::is_directory(final_)) throw std::runtime_error(out + " exists and is not a directory");
  if (fs::is_directory(final_) && !fs::is_empty(final_) && !force)
    throw std::runtime_error(out + " exists and is not empty: pass --force to replace it");
  fs::create_directories(final_.parent_path());
  tmp_ = final_.parent_path() / (name_.string() + ".tmp-" + std::to_string(getpid()));
  fs::remove_all(tmp_);
  fs::create_directory(tmp_);
}

OutputDir::~OutputDir() {
  std::error_code ec;
  if (!kept_) fs::remove_all(tmp_, ec);
}

void OutputDir::commit() {
  // DIR replaced at once: the old one moved aside, the new one renamed into place
  const fs::path old = final_.parent_path() / (name_.string() + ".old-" + std::to_string(getpid()));
  const bool had = fs::exists(final_);
  if (had) fs::rename(final_, old);
  try {
    fs::rename(tmp_, final_);
  } catch (...) {
    if (had) fs::rename(old, final_);  // the old DIR back
    throw;
  }
  kept_ = true;
  std::error_code ec;
  fs::remove_all(old, ec);
}

void draw_figures(const std::string& python, const std::string& script, const fs::path& dir) {
  const fs::path plot_log = dir / "plot.log";
  // The shell sees each word in double quotes, where only " $ ` \ keep a meaning: a name with one
  // of them is refused, so no file name can become a command (cert-env33-c).
  for (const std::string& word : {python, script, dir.string()})
    if (word.find_first_of("\"$`\\") != std::string::npos)
      throw std::runtime_error("cannot run the figure script with a path containing \" $ ` or \\: " + word);
  const std::string cmd =
      "\"" + python + "\" \"" + script + "\" \"" + dir.string() + "\" > \"" + plot_log.string() + "\" 2>&1";
  const int rc = std::system(cmd.c_str());  // NOLINT(cert-env33-c): every word is quoted and checked above
  if (rc != 0) {
    std::ifstream l(plot_log);
    std::string line, last;
    while (std::getline(l, line))
      if (!line.empty()) last = line;
    throw std::runtime_error("drawing the figures failed (" + script + ": " + last +
                             "); --no-plots writes the data and report without them");
  }
  fs::remove(plot_log);
}

void write_report(const fs::path& dir, const std::string& title, const std::string& intro,
                  const std::vector<Finding>& findings, const std::string& body) {
  std::ofstream r(dir / "report.md");
  r << "# " << title << "\n\n" << intro << "\n\n"
    << "## Findings: which of the paper's results this model shows\n\n"
    << "| the paper's result | this model | evidence |\n|---|---|---|\n";
  for (const Finding& f : findings) r << "| " << f.claim << " | " << f.verdict << " | " << f.evidence << " |\n";
  r << "\n" << body;
  if (!r) throw std::runtime_error((dir / "report.md").string() + ": cannot write");
}

int TrainingLog::col(const std::string& name) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return static_cast<int>(c);
  return -1;
}

namespace {
/// The comma-separated fields of `line`, empty ones (a trailing one too) kept.
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}
}  // namespace

TrainingLog read_training_log(const std::string& path, const std::string& header, const std::string& not_a_log) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string line;
  std::getline(f, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != header && line + ",validation" != header) throw std::runtime_error(path + ": " + not_a_log);
  TrainingLog log;
  log.columns = split_fields(line);
  for (int number = 2; std::getline(f, line); ++number) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    if (fields.size() != log.columns.size())
      throw std::runtime_error(path + ": line " + std::to_string(number) + " has " + std::to_string(fields.size()) +
                               " fields, the header " + std::to_string(log.columns.size()));
    std::vector<double> row;
    for (size_t c = 0; c < fields.size(); ++c) {
      if (fields[c].empty() && log.columns[c] == "validation") {
        row.push_back(std::nan(""));  // an epoch without validation
        continue;
      }
      char* end = nullptr;
      row.push_back(std::strtod(fields[c].c_str(), &end));
      if (end == fields[c].c_str())
        throw std::runtime_error(path + ": line " + std::to_string(number) + " is not numbers");
    }
    log.rows.push_back(row);
  }
  if (log.rows.empty()) throw std::runtime_error(path + ": the log has no epochs");
  return log;
}

}  // namespace sasrnn::cli::report
