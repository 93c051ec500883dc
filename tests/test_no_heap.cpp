// No heap in the runtime: this binary replaces the global allocator (operator new and the malloc
// family) with one that aborts while armed, then runs load() and 1000 steps in every mode, and a feedforward stack's load and inferences.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <utility>

#include "sasrnn/converter/model_file.hpp"
#include "sasrnn/feedforward/network.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"
#include "support.hpp"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
void* __libc_memalign(size_t, size_t);
}

namespace {
volatile bool g_armed = false;
volatile long g_allocations = 0;

void on_alloc() {
  if (g_armed) {
    std::fputs("heap allocation inside the runtime\n", stderr);
    std::abort();
  }
  g_allocations = g_allocations + 1;
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
  on_alloc();
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  on_alloc();
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  on_alloc();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* aligned_alloc(size_t a, size_t n) {
  on_alloc();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  on_alloc();
  *out = __libc_memalign(a, n);
  return *out ? 0 : 12;
}
}

void* operator new(size_t n) {
  on_alloc();
  if (void* p = __libc_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t a) {
  on_alloc();
  if (void* p = __libc_memalign(static_cast<size_t>(a), n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }

using namespace sasrnn;

TEST(NoHeap, TheReplacedAllocatorSeesAllocations) {
  const long before = g_allocations;
  auto* p = new int(3);
  void* q = std::malloc(10);
  EXPECT_GE(g_allocations - before, 2);
  delete p;
  std::free(q);
}

class NoHeapEncoding : public ::testing::TestWithParam<const char*> {};

// Every encoding the converter writes (dense f32, sparse f16, sparse q8 with pruning and classes).
TEST_P(NoHeapEncoding, LoadAndThousandStepsInEveryMode) {
  conv::ModelData d = test::mixed_model(30, 5, 2, 3);
  conv::apply_msi_task(d);
  const conv::AlignedBuffer buf =
      conv::build_model_file(conv::with_encoding(d, conv::encoding_preset(GetParam())));
  using Net = Network<30, 5, 2>;
  Net net;  // on the stack: no heap
  msi::Protocol p = msi::Protocol::test(20.0f);
  float checksum = 0.0f;
  g_armed = true;
  const long before = g_allocations;
  ModelView view;
  const Status loaded = load<30, 5, 2>(buf.data(), buf.size(), view);
  static float trial_cache[Net::kTrialCacheFloats];  // caller-owned, static: no heap either
  static float moment_cache[Net::kMomentCacheFloats];
  int runs = 0, total_steps = 0;
  // every mode, then SampledPerTrial with a trial cache, MeanField and MeanWeights with a moment
  // cache
  const Mode cached_modes[3] = {Mode::SampledPerTrial, Mode::MeanField, Mode::MeanWeights};
  for (int run = 0; run < 7; ++run) {
    const Mode mode = run < 4 ? static_cast<Mode>(run) : cached_modes[run - 4];
    Options opt;
    opt.mode = mode;
    opt.seed = 11;
    if (net.bind(view, opt) != Status::Ok) break;
    if (net.use_trial_cache(run == 4 ? trial_cache : nullptr, Net::kTrialCacheFloats) != Status::Ok)
      break;
    if (net.use_moment_cache(run > 4 ? moment_cache : nullptr, Net::kMomentCacheFloats) != Status::Ok)
      break;
    ++runs;
    int steps = 0;
    for (uint32_t trial = 0; steps < 1000; ++trial) {
      const msi::Stimulus stim(p, msi::Trial{msi::Modality::Both, 15.0f, trial});
      net.reset(trial);
      Net::Input x;
      for (int t = 0; t < stim.steps() && steps < 1000; ++t, ++steps) {
        stim.input(t, x.data());
        net.step(x);
      }
      checksum += net.output()[0] + static_cast<float>(net.decide());
    }
    total_steps += steps;
  }
  g_armed = false;
  EXPECT_EQ(loaded, Status::Ok);
  EXPECT_EQ(runs, 7);  // no run skipped (a failed bind or cache would end the loop early)
  EXPECT_EQ(total_steps, 7000);
  float nonzero_weights = 0.0f, nonzero_moments = 0.0f;
  for (float w : trial_cache) nonzero_weights += w != 0.0f ? 1.0f : 0.0f;
  for (float w : moment_cache) nonzero_moments += w != 0.0f ? 1.0f : 0.0f;
  EXPECT_GT(nonzero_weights, 0.0f);  // the caches were really filled
  EXPECT_GT(nonzero_moments, 0.0f);
  EXPECT_EQ(g_allocations, before);
  EXPECT_TRUE(std::isfinite(checksum));
  EXPECT_NE(checksum, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Encodings, NoHeapEncoding, ::testing::Values("dense", "dense-moments", "f16", "compact"));

// A feedforward stack (feedforward/network.hpp): ff::load() and 200 inferences in every mode,
// dense and compact.
TEST_P(NoHeapEncoding, FeedforwardLoadAndInferInEveryMode) {
  conv::ModelData d;
  std::mt19937 gen(5);
  for (const auto& [rows, cols] : {std::pair<uint32_t, uint32_t>{20, 30}, {12, 20}, {4, 12}}) {
    conv::LayerData l = conv::LayerData::zeros(rows, cols);
    test::fill_mixed(l, gen, 1.0f / std::sqrt(static_cast<float>(cols)));
    l.encoding = conv::encoding_preset(GetParam());
    d.layers.push_back(l);
  }
  const conv::AlignedBuffer buf = conv::build_model_file(d);
  static ff::Network<30, 20, 12, 4> net;
  float x[30];
  for (int j = 0; j < 30; ++j) x[j] = static_cast<float>(j % 7) / 7.0f;
  float checksum = 0.0f;
  int inferences = 0;
  g_armed = true;
  const long before = g_allocations;
  ff::ModelView view;
  const Status loaded = ff::load<30, 20, 12, 4>(buf.data(), buf.size(), view);
  for (int mode = 0; mode < 4 && loaded == Status::Ok; ++mode) {
    Options opt;
    opt.mode = static_cast<Mode>(mode);
    opt.seed = 3;
    if (net.bind(view, opt) != Status::Ok) break;
    for (uint32_t t = 0; t < 200; ++t) {
      if (net.infer(x, t) != Status::Ok) break;
      checksum += net.output()[0] + static_cast<float>(net.decide());
      ++inferences;
    }
  }
  g_armed = false;
  EXPECT_EQ(loaded, Status::Ok);
  EXPECT_EQ(inferences, 800);
  EXPECT_EQ(g_allocations, before);
  EXPECT_TRUE(std::isfinite(checksum));
}
