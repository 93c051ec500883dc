// sasrnn_step_count MODEL N VARIANT STEPS: runs STEPS steps of one variant with callgrind
// collection switched on only around them (valgrind --tool=callgrind --collect-atstart=no);
// instructions per step = collected Ir / STEPS. Natively it just runs the steps.
#include <cstdlib>
#include <iostream>
#include <string>

#include "sasrnn/bench/latency.hpp"
#include "sasrnn/bench/models.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: sasrnn_step_count MODEL N VARIANT STEPS\n";
    return 2;
  }
  try {
    using namespace sasrnn;
    const conv::AlignedBuffer buf = conv::read_file(argv[1]);
    const conv::ModelData model = conv::read_model(buf.data(), buf.size());
    const uint32_t n = static_cast<uint32_t>(std::stoul(argv[2]));
    const conv::ModelData d = n == model.n ? model : bench::msi_like_model(n, 1000 + n, &model);
    const double sink = bench::run_steps(d, argv[3], std::stoi(argv[4]), 1);
    std::cout << "checksum " << sink << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sasrnn_step_count: " << e.what() << "\n";
    return 1;
  }
}
