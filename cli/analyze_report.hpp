// What every `sasrnn analyze` report shares, whatever the model: the trainer's log read, number formatting, CSV files,
// histograms and their shapes, the findings table, the output folder written as a temporary
// sibling and renamed into place at the end (a failure leaves DIR as it was), and the figure
// script. Used by analyze.cpp (recurrent models) and analyze_ff.cpp (feedforward stacks).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sasrnn::cli::report {

namespace fs = std::filesystem;

/// A CSV log of `sasrnn train` (--log): its columns and one row of numbers per epoch.
struct TrainingLog {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  /// The index of column `name`, or -1.
  int col(const std::string& name) const;
};

/// Reads the log at `path` whose header must be `header` (the trainer's csv_header) or, from logs
/// written before the column existed, `header` without its last column "validation"; else throws
/// std::runtime_error "PATH: NOT_A_LOG". Every field is a number, except that the validation
/// column is empty (NaN) for an epoch without validation. Every error is one line naming the file.
TrainingLog read_training_log(const std::string& path, const std::string& header, const std::string& not_a_log);

/// "%.4g", or "n/a" for NaN.
std::string fmt(double v, int digits = 4);
/// "12.34 %" of a fraction.
std::string pct(double v);

/// A CSV file with a header; numbers at 7 significant digits.
class Csv {
 public:
  Csv(const fs::path& p, const std::string& header);
  template <class... T>
  void row(const T&... v) {
    bool first = true;
    ((f_ << (first ? "" : ",") << v, first = false), ...);
    f_ << "\n";
  }

 private:
  std::ofstream f_;
};

/// A row-major matrix as CSV; entries where `mask` is 0 as "nan".
void write_matrix(const fs::path& p, const std::vector<float>& v, uint32_t rows, uint32_t cols,
                  const uint8_t* mask);

/// Fractions of `v` in `bins` equal bins over [lo, hi] (values outside in the end bins).
std::vector<double> histogram(const std::vector<double>& v, double lo, double hi, int bins);
/// "U" (the two end bins are the two largest), "L" (the first bin is the largest), else "other".
std::string shape(const std::vector<double>& h);

/// One row of the findings table: the paper's result, this model's verdict, the numbers.
struct Finding {
  std::string claim;
  std::string verdict;  // "**shows**", "**does not show**", "**partly**", "**not measured**", "**measured**"
  std::string evidence;
};
std::string verdict(bool shows);

/// The output folder: everything is written into a temporary sibling of DIR, which commit()
/// renames to DIR (an existing DIR is replaced only with `force`, and only then). Destroyed
/// without commit(), it removes the temporary.
class OutputDir {
 public:
  OutputDir(const std::string& out, bool force);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;
  OutputDir(OutputDir&&) = delete;
  OutputDir& operator=(OutputDir&&) = delete;
  const fs::path& tmp() const { return tmp_; }
  void commit();

 private:
  fs::path final_, tmp_, name_;
  bool kept_ = false;
};

/// Runs the figure script on `dir` (python script dir); throws with the script's last line.
void draw_figures(const std::string& python, const std::string& script, const fs::path& dir);

/// report.md: the title, a paragraph on the model, the findings table, then `body`.
void write_report(const fs::path& dir, const std::string& title, const std::string& intro,
                  const std::vector<Finding>& findings, const std::string& body);

}  // namespace sasrnn::cli::report
