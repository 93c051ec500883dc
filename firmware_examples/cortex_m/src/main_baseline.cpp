// footprint_baseline: footprint_fw without the runtime: the same start-up, printf and exit.
// `size footprint_fw - size footprint_baseline` is the runtime's footprint.
#include <cstdio>

const unsigned char* volatile g_model = nullptr;
volatile unsigned g_model_size = 0;
volatile int g_mode = 0;
volatile float g_input = 0.2f;

int main() {
  const float input = g_input;
  const int s =
      g_model == nullptr ? 1 : static_cast<int>(g_model_size) + g_mode + static_cast<int>(input);
  std::printf("footprint: status %d, decision %d\n", s, 0);
  return 0;
}
