// Writes the model files the CLI tests use: small valid MSI and MNIST models, one without a
// task and a few broken ones.
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
  // one flipped bit in a weight: still a finite, in-range value, refused by the checksum alone
  {
    ModelView v;
    if (load(good.data(), good.size(), v) != Status::Ok) return 1;
    std::vector<uint8_t> damaged(good.data(), good.data() + good.size());
    damaged[static_cast<size_t>(reinterpret_cast<const uint8_t*>(v.recurrent.m + 5) - good.data())] ^= 1;
    conv::write_file(dir + "/damaged.sasrnn", damaged.data(), damaged.size());
  }
  // the same model sparse (q8, pruned) and with precomputed moments, for the dense-only build test
  for (const char* enc : {"compact", "dense-moments"}) {
    const conv::AlignedBuffer b = conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(enc)));
    conv::write_file(dir + "/fixture_" + enc + ".sasrnn", b.data(), b.size());
  }
  conv::ModelData odd = test::mixed_model(7, 5, 2, 1);
  conv::apply_msi_task(odd);
  const conv::AlignedBuffer o = conv::build_model_file(odd);
  conv::write_file(dir + "/n7.sasrnn", o.data(), o.size());
  // any size: an MSI model of N = 7 runs on the host tools' any-size network
  conv::ModelData msi7 = test::mixed_model(7, 5, 2, 2);
  conv::apply_msi_task(msi7);
  const conv::AlignedBuffer m7 = conv::build_model_file(msi7);
  conv::write_file(dir + "/msi7.sasrnn", m7.data(), m7.size());
  // a small row-by-row MNIST model (28 inputs, 10 outputs, softmax readout)
  conv::ModelData row = test::mixed_model(8, 28, 10, 3);
  row.task = TaskKind::SeqMNISTRow;
  row.dynamics.readout = Readout::Softmax;
  row.dynamics.baseline = 0.0f;
  row.dynamics.sigma_in = 0.0f;
  const conv::AlignedBuffer r = conv::build_model_file(row);
  conv::write_file(dir + "/mnist_row_small.sasrnn", r.data(), r.size());
  // a small pixel-by-pixel MNIST model whose networks drawn once per trial are unstable: each
  // self-connection is 3 with probability 0.1 and absent otherwise, no other recurrent connection.
  // The mean field (mean 0.3, sd 0.9) and a new draw per step decay; a trial that keeps a self-
  // connection of 3 grows by 1 + alpha (3 - 1) = 1.2 per step and overflows float within 784 steps
  // (`sasrnn analyze` must report that, not stop)
  conv::ModelData pix = test::mixed_model(10, 1, 10, 4);
  pix.task = TaskKind::SeqMNISTPixel;
  pix.dynamics.readout = Readout::Softmax;
  pix.dynamics.baseline = 0.0f;
  pix.dynamics.sigma_in = 0.0f;
  for (uint32_t i = 0; i < 10; ++i)
    for (uint32_t j = 0; j < 10; ++j) {
      const size_t k = static_cast<size_t>(i) * 10 + j;
      pix.recurrent.pi[k] = i == j ? 0.9f : 1.0f;
      pix.recurrent.m[k] = i == j ? 3.0f : 0.0f;
      pix.recurrent.xi[k] = 0.0f;
    }
  const conv::AlignedBuffer px = conv::build_model_file(pix);
  conv::write_file(dir + "/mnist_pixel_unstable.sasrnn", px.data(), px.size());
  // an MSI-shaped model without a task (as an .npz without `task` imports): `run` refuses it
  const conv::AlignedBuffer nt = conv::build_model_file(test::mixed_model(30, 5, 2, 1));
  conv::write_file(dir + "/no_task.sasrnn", nt.data(), nt.size());
  // names and provenance with terminal control sequences: `inspect` must print them escaped
  conv::ModelData ctl = d;
  ctl.name = "evil\x1b[2J\x1b]0;title\x07name";
  ctl.provenance.command = "train\r\nfake: line \xc2\x9b";
  ctl.provenance.metrics.push_back({"m\x1b[31mred", 1.0});
  const conv::AlignedBuffer c = conv::build_model_file(ctl);
  conv::write_file(dir + "/control_chars.sasrnn", c.data(), c.size());
  return 0;
}
