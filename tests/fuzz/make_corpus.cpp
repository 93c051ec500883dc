// Writes the crafted seed inputs of the fuzz targets (tests/fuzz/*/corpus): small models in every
// encoding and readout, as .sasrnn, .npz and .json, and small idx pairs. The shipped models
// (models/*.sasrnn) are seeds too, read from where they are; the npz corpus also holds files that
// NumPy wrote (numpy_*.npz: tests/npz_fixtures.py's compressed, f8, Fortran-order, big-endian,
// zip64 and broken forms). Run it to refresh the crafted files after a format change:
//   build/tests/fuzz/fuzz_make_corpus tests/fuzz
#include <cstdio>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "../support.hpp"
#include "sasrnn/converter/npz.hpp"

namespace {

using namespace sasrnn;

void write(const std::string& path, const std::vector<uint8_t>& bytes) {
  conv::write_file(path, bytes.data(), bytes.size());
}

void write_model(const std::string& path, const conv::ModelData& d) {
  const conv::AlignedBuffer b = conv::build_model_file(d);
  conv::write_file(path, b.data(), b.size());
}

void be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

/// The fuzz_idx input of `count` images: length of the image file, image file, label file.
std::vector<uint8_t> idx_pair(uint32_t count, uint32_t labels_count, uint8_t first_label) {
  std::vector<uint8_t> img, lab;
  be32(img, 0x803);
  be32(img, count);
  be32(img, 28);
  be32(img, 28);
  for (uint32_t k = 0; k < count * 784; ++k) img.push_back(static_cast<uint8_t>((k * 37) % 256));
  be32(lab, 0x801);
  be32(lab, labels_count);
  for (uint32_t k = 0; k < labels_count; ++k) lab.push_back(static_cast<uint8_t>((first_label + k) % 10));
  std::vector<uint8_t> out;
  const uint32_t n = static_cast<uint32_t>(img.size());
  for (int s = 0; s < 32; s += 8) out.push_back(static_cast<uint8_t>(n >> s));
  out.insert(out.end(), img.begin(), img.end());
  out.insert(out.end(), lab.begin(), lab.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s tests/fuzz\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  // MSI-shaped (N = 7 and the CLI tests' N = 30), row and pixel MNIST, no task with each readout
  conv::ModelData msi7 = test::mixed_model(7, 5, 2, 2);
  conv::apply_msi_task(msi7);
  msi7.name = "fuzz-msi7";
  conv::ModelData msi30 = test::mixed_model(30, 5, 2, 1);
  conv::apply_msi_task(msi30);
  conv::ModelData row = test::mixed_model(8, 28, 10, 3);
  row.task = TaskKind::SeqMNISTRow;
  row.dynamics.readout = Readout::Softmax;
  conv::ModelData pixel = test::mixed_model(5, 1, 10, 4);
  pixel.task = TaskKind::SeqMNISTPixel;
  pixel.dynamics.readout = Readout::Argmax;
  conv::ModelData tiny = test::mixed_model(3, 2, 1, 5);
  tiny.provenance.seed = 9;
  tiny.provenance.metrics = {{"accuracy", 0.5}};
  const std::string m = dir + "/model/corpus/";
  for (const char* enc : {"dense", "dense-moments", "sparse-f32", "f16", "q8", "compact"})
    write_model(m + "msi7_" + enc + ".sasrnn", conv::with_encoding(msi7, conv::encoding_preset(enc)));
  write_model(m + "msi30.sasrnn", msi30);
  write_model(m + "mnist_row8_compact.sasrnn", conv::with_encoding(row, conv::encoding_preset("compact")));
  write_model(m + "mnist_pixel5.sasrnn", pixel);
  write_model(m + "tiny.sasrnn", tiny);
  // feedforward stacks (format version 3): a small one in every encoding, an MNIST-shaped one
  conv::ModelData stack;
  std::mt19937 gen(19);
  for (const auto& [rows, cols] : {std::pair<uint32_t, uint32_t>{6, 9}, {5, 6}, {3, 5}}) {
    conv::LayerData l = conv::LayerData::zeros(rows, cols);
    test::fill_mixed(l, gen, 0.5f);
    stack.layers.push_back(l);
  }
  for (const char* enc : {"dense", "dense-moments", "f16", "compact"})
    write_model(m + "stack9_" + enc + ".sasrnn", conv::with_encoding(stack, conv::encoding_preset(enc)));
  // the readers take float arrays only: the small models are enough
  for (const auto& [name, d] : {std::pair<const char*, const conv::ModelData&>{"msi7", msi7},
                                {"mnist_pixel5", pixel}, {"tiny", tiny}}) {
    conv::export_model(d, dir + "/npz/corpus/" + name + ".npz");
    conv::export_model(d, dir + "/json/corpus/" + name + ".json");
  }
  const std::string i = dir + "/idx/corpus/";
  write(i + "one_image", idx_pair(1, 1, 3));
  write(i + "three_images", idx_pair(3, 3, 7));
  write(i + "label_count_differs", idx_pair(2, 1, 0));
  std::vector<uint8_t> bad_label = idx_pair(1, 1, 0);
  bad_label.back() = 10;
  write(i + "label_not_digit", bad_label);
  std::vector<uint8_t> truncated = idx_pair(2, 2, 0);
  truncated.resize(truncated.size() - 100);
  write(i + "truncated", truncated);
  return 0;
}
