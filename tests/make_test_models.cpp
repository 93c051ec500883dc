// Writes the model files the CLI tests use: a valid small MSI model and a few broken ones.
//   usage: make_test_models DIR
#include <cstdio>
#include <string>
#include <vector>

#include "sasrnn/converter/model_file.hpp"
#include "support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  using namespace sasrnn;
  const std::string dir = argv[1];
  conv::ModelData d = test::mixed_model(30, 5, 2, 1);
  conv::apply_msi_task(d);
  d.name = "cli-test";
  d.provenance.command = "make_test_models";
  const conv::AlignedBuffer good = conv::build_model_file(d);
  conv::write_file(dir + "/good.sasrnn", good.data(), good.size());
  conv::write_file(dir + "/truncated.sasrnn", good.data(), good.size() / 2);
  std::vector<uint8_t> bytes(good.data(), good.data() + good.size());
  bytes[4] = 'Z';
  conv::write_file(dir + "/bad_identifier.sasrnn", bytes.data(), bytes.size());
  conv::write_file(dir + "/empty.sasrnn", bytes.data(), 0);
  // the same model sparse (q8, pruned) and with precomputed moments, for the dense-only build test
  for (const char* enc : {"compact", "dense-moments"}) {
    const conv::AlignedBuffer b = conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(enc)));
    conv::write_file(dir + "/fixture_" + enc + ".sasrnn", b.data(), b.size());
  }
  conv::ModelData odd = test::mixed_model(7, 5, 2, 1);
  const conv::AlignedBuffer o = conv::build_model_file(odd);
  conv::write_file(dir + "/n7.sasrnn", o.data(), o.size());
  return 0;
}
