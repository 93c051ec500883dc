// The summation-order contract of the row kernels: what every backend (kernels/portable.hpp,
// kernels/avx2.hpp, and any new one) must compute so that host and microcontroller agree bit for
// bit. This file holds the contract and the types it needs, no kernel.
//
// A sum over j = 0..cols-1 is accumulated in kLanes interleaved partial sums (lane = j mod kLanes,
// each lane in increasing j) and the lanes are combined by a fixed tree (Lanes::total()). The
// order does not depend on the compiler or the vector width: an x86 host runs a chunk of 8
// columns as one AVX2 vector, a Cortex-M runs it scalar, and both perform the same IEEE
// operations in the same order (build with -ffp-contract=off: no FMA). A term that is exactly zero
// may be skipped: the lanes start at +0 and can never become -0, so x + (+-0) == x for every
// partial sum we can reach. So a silent presynaptic unit (v_j = 0) may be skipped or added, as a
// backend prefers.
//
// Rows may be computed in groups of R (interleaved only to hide the latency of the additions);
// each row's sum is the defined one. tests/test_bitexact.cpp checks the network against a
// straightforward reference (tests/reference_network.hpp) that spells this order out on its own.
#pragma once

#include <cstdint>

/// Keeps a function out of line (smaller firmware code where inlining would copy a loop per caller).
#if defined(__GNUC__)
#define SASRNN_NOINLINE __attribute__((noinline))
#else
#define SASRNN_NOINLINE
#endif

/// Inlines a small function whose arguments live in vector registers (passed out of line, they
/// would go through memory).
#if defined(__GNUC__)
#define SASRNN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SASRNN_ALWAYS_INLINE inline
#endif

namespace sasrnn::kernel {

/// The number of interleaved partial sums of every row sum.
constexpr int kLanes = 8;

template <class T>
struct Lanes {
  T a[kLanes] = {};
  /// The fixed combination tree: ((0+4)+(2+6)) + ((1+5)+(3+7)).
  T total() const { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }
};

/// The presynaptic units of a layer that are not silent (v_j != 0), in increasing j, with their
/// values; padded with 8 entries of value 0 so that batches of 8 may read past `count`. Room for
/// `Cap` columns; a layer has `cols` <= Cap. Shared by every backend: the sampled kernels draw
/// only the connections of these units (a skipped term is +-0, and every draw is a pure function
/// of its counter, so skipping changes no other draw).
/// fill_by_lane() lists the same units grouped by lane instead (the column kernels of the moment
/// cache): entries [lane_begin[l], lane_begin[l + 1]) are the units j with j % kLanes == l, in
/// increasing j, so each lane's sum runs over them in the order of the contract.
template <int Cap>
struct Active {
  int count = 0;
  int32_t index[Cap + 8] = {};
  float value[Cap + 8] = {};
  int lane_begin[kLanes + 1] = {};  ///< fill_by_lane() only
  Active() = default;
  Active(const float* v, int cols) { fill(v, cols); }
  /// The active entries of v[0..cols), grouped by lane (lane_begin), no padding.
  void fill_by_lane(const float* v, int cols) {
    int c = 0;
    for (int l = 0; l < kLanes; ++l) {
      lane_begin[l] = c;
      for (int j = l; j < cols; j += kLanes) {
        index[c] = j;
        value[c] = v[j];
        c += v[j] != 0.0f ? 1 : 0;
      }
    }
    lane_begin[kLanes] = c;
    count = c;
  }
  /// The active entries of v[0..cols).
  void fill(const float* v, int cols) {
    int c = 0;  // a local: stores to index[] cannot alias it
    for (int j = 0; j < cols; ++j) {
      index[c] = j;
      value[c] = v[j];
      c += v[j] != 0.0f ? 1 : 0;
    }
    for (int l = 0; l < 8; ++l) {
      index[c + l] = 0;
      value[c + l] = 0.0f;
    }
    count = c;
  }
  /// After fill(): bit j % 32 of mask[j / 32] set iff v[j] != 0, for the `words` words of mask
  /// (the sparse rows test a tile of 32 columns at once).
  void bit_mask(uint32_t* mask, int words) const {
    for (int w = 0; w < words; ++w) mask[w] = 0;
    for (int k = 0; k < count; ++k)
      mask[static_cast<uint32_t>(index[k]) >> 5] |= 1u << (static_cast<uint32_t>(index[k]) & 31u);
  }
};

}  // namespace sasrnn::kernel
