// The idx reader of the MNIST files and the fixed train / validation / test split.
#include "sasrnn/analysis/mnist_data.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

namespace sasrnn::analysis {

namespace {

const char* kHowToFetch = "run scripts/fetch-mnist (or set SASRNN_MNIST_DIR)";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw DataError(path + ": " + what + "; " + kHowToFetch);
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

/// The whole file, at most `limit` bytes (a larger file is not an MNIST file).
std::vector<unsigned char> read_file(const std::string& path, size_t limit) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) fail(path, "missing");
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if (static_cast<unsigned long long>(st.st_size) > limit) fail(path, "too large for an idx file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::vector<unsigned char> bytes(static_cast<size_t>(st.st_size));
  if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()),
                                 static_cast<std::streamsize>(bytes.size())))
    fail(path, "cannot read");
  return bytes;
}

/// Checks an idx header: magic 0x0000 08 <dims> (unsigned bytes), then the dimensions; returns
/// them. The file must hold exactly the product of the dimensions after the header.
std::vector<uint32_t> idx_dims(const std::string& path, const std::vector<unsigned char>& b,
                               int dims) {
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (b.size() < header) fail(path, "truncated (" + std::to_string(b.size()) + " bytes)");
  const uint32_t magic = be32(b.data());
  const uint32_t want = 0x00000800u | static_cast<uint32_t>(dims);
  if (magic != want) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "not an idx%d ubyte file (magic 0x%08x, expected 0x%08x)", dims,
                  magic, want);
    fail(path, buf);
  }
  std::vector<uint32_t> d;
  unsigned long long total = 1;
  for (int k = 0; k < dims; ++k) {
    d.push_back(be32(b.data() + 4 + 4 * k));
    total *= d.back();
    if (total > (1ull << 32)) fail(path, "dimensions too large");
  }
  if (b.size() - header != total)
    fail(path, "truncated or wrong size (" + std::to_string(b.size() - header) +
                   " data bytes, the header says " + std::to_string(total) + ")");
  return d;
}

}  // namespace

MnistSet MnistSet::slice(int first, int n) const {
  MnistSet s;
  s.count = n;
  s.rows = rows;
  s.cols = cols;
  const size_t px = static_cast<size_t>(pixels_per_image());
  s.pixels.assign(pixels.begin() + static_cast<ptrdiff_t>(px * static_cast<size_t>(first)),
                  pixels.begin() + static_cast<ptrdiff_t>(px * static_cast<size_t>(first + n)));
  s.labels.assign(labels.begin() + first, labels.begin() + first + n);
  return s;
}

MnistSet read_idx_pair(const std::string& images_path, const std::string& labels_path) {
  const size_t kLimit = 64u << 20;  // the training images are 47 040 016 bytes
  const std::vector<unsigned char> img = read_file(images_path, kLimit);
  const std::vector<unsigned char> lab = read_file(labels_path, kLimit);
  return parse_idx_pair(img, images_path, lab, labels_path);
}

MnistSet parse_idx_pair(const std::vector<uint8_t>& img, const std::string& images_path,
                        const std::vector<uint8_t>& lab, const std::string& labels_path) {
  const std::vector<uint32_t> di = idx_dims(images_path, img, 3);
  const std::vector<uint32_t> dl = idx_dims(labels_path, lab, 1);
  if (di[1] != 28 || di[2] != 28)
    fail(images_path, "images are " + std::to_string(di[1]) + "x" + std::to_string(di[2]) +
                          ", expected 28x28");
  if (di[0] == 0) fail(images_path, "holds no image");
  if (di[0] != dl[0])
    fail(labels_path, std::to_string(dl[0]) + " labels for " + std::to_string(di[0]) + " images");
  MnistSet s;
  s.count = static_cast<int>(di[0]);
  s.rows = 28;
  s.cols = 28;
  s.pixels.assign(img.begin() + 16, img.end());
  s.labels.assign(lab.begin() + 8, lab.end());
  for (size_t k = 0; k < s.labels.size(); ++k)
    if (s.labels[k] > 9)
      fail(labels_path, "label " + std::to_string(s.labels[k]) + " of image " + std::to_string(k) +
                            " is not a digit");
  return s;
}

std::string default_mnist_dir() {
  if (const char* d = std::getenv("SASRNN_MNIST_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* c = std::getenv("XDG_CACHE_HOME"); c != nullptr && *c != '\0')
    return std::string(c) + "/sasrnn/mnist";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/sasrnn/mnist";
}

const char* split_name(MnistSplit s) {
  switch (s) {
    case MnistSplit::Train: return "train";
    case MnistSplit::Validation: return "validation";
    case MnistSplit::TrainAll: return "train+validation";
    case MnistSplit::Test: return "test";
  }
  return "unknown";
}

MnistSet load_mnist(const std::string& dir, MnistSplit split) {
  if (split == MnistSplit::Test) {
    MnistSet s = read_idx_pair(dir + "/t10k-images-idx3-ubyte", dir + "/t10k-labels-idx1-ubyte");
    if (s.count != 10000) fail(dir + "/t10k-images-idx3-ubyte", "not the 10 000 MNIST test images");
    return s;
  }
  MnistSet all = read_idx_pair(dir + "/train-images-idx3-ubyte", dir + "/train-labels-idx1-ubyte");
  if (all.count != 60000)
    fail(dir + "/train-images-idx3-ubyte", "not the 60 000 MNIST training images");
  switch (split) {
    case MnistSplit::Train: return all.slice(0, all.count - kMnistValidation);
    case MnistSplit::Validation: return all.slice(all.count - kMnistValidation, kMnistValidation);
    default: return all;
  }
}

}  // namespace sasrnn::analysis
