// Sequential MNIST (paper Sec. III A): how a 28 x 28 image becomes the input sequence, row by row
// (28 steps x 28 inputs) or pixel by pixel in scan-line order (784 steps x 1 input), each byte
// scaled to [0, 1]. One definition for the runtime's apps, the evaluation library and the
// trainer (as msi.hpp is for MSI). No heap; the idx files are read by analysis/mnist_data.hpp.
#pragma once

#include <cstdint>

namespace sasrnn::mnist {

constexpr int kSide = 28;
constexpr int kClasses = 10;

enum class Sequence { Row, Pixel };

constexpr int sequence_steps(Sequence s) { return s == Sequence::Row ? kSide : kSide * kSide; }
constexpr int sequence_inputs(Sequence s) { return s == Sequence::Row ? kSide : 1; }

/// Input x(t+1) of step t (0-based) of image `img` (28 x 28 bytes, row-major): row t, or pixel t,
/// each byte / 255.
inline void sequence_input(Sequence s, const uint8_t* img, int t, float* x) {
  const int n = sequence_inputs(s);
  const uint8_t* p = img + t * n;
  for (int j = 0; j < n; ++j) x[j] = static_cast<float>(p[j]) / 255.0f;
}

}  // namespace sasrnn::mnist
