// keep_training_memory(): glibc's mallopt() for training (allocator.hpp says why).
#include "sasrnn/trainer/allocator.hpp"

#include <cstdlib>  // defines __GLIBC__ with glibc (features.h), needed before the test below

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sasrnn::train {

bool keep_training_memory() {
#if defined(__GLIBC__)
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX);
  // setting either value also turns off glibc's dynamic adjustment of both.
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace sasrnn::train
