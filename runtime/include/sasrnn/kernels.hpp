// Reductions with a defined summation order, so that host and microcontroller agree bit for bit.
//
// A sum over j = 0..Cols-1 is accumulated in kLanes interleaved partial sums (lane = j mod kLanes)
// and the lanes are combined by a fixed tree. The order does not depend on the compiler or the
// vector width: GCC turns the inner lane loop into SIMD on x86, a Cortex-M runs it scalar, and both
// perform the same IEEE operations in the same order (build with -ffp-contract=off).
// A term that is exactly zero may be skipped: x + 0 == x for every partial sum we can reach.
#pragma once

namespace sasrnn::kernel {

constexpr int kLanes = 8;

template <class T>
struct Lanes {
  T a[kLanes] = {};
  /// The fixed combination tree: ((0+4)+(2+6)) + ((1+5)+(3+7)).
  T total() const { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }
};

/// sum_j term(j) for j in [0, Cols), in the defined lane order.
template <int Cols, class T, class Term>
inline T ordered_sum(Term term) {
  Lanes<T> acc;
  int j = 0;
  for (; j + kLanes <= Cols; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc.a[l] += term(j + l);
  for (int l = 0; j + l < Cols; ++l) acc.a[l] += term(j + l);
  return acc.total();
}

/// Two sums in one pass: term(j, s0, s1) returns its two contributions through s0 and s1.
template <int Cols, class T, class Term>
inline void ordered_sum2(Term term, T& total0, T& total1) {
  Lanes<T> acc0, acc1;
  int j = 0;
  for (; j + kLanes <= Cols; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      T s0 = T(0), s1 = T(0);
      term(j + l, s0, s1);
      acc0.a[l] += s0;
      acc1.a[l] += s1;
    }
  for (int l = 0; j + l < Cols; ++l) {
    T s0 = T(0), s1 = T(0);
    term(j + l, s0, s1);
    acc0.a[l] += s0;
    acc1.a[l] += s1;
  }
  total0 = acc0.total();
  total1 = acc1.total();
}

}  // namespace sasrnn::kernel
