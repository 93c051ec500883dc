#!/usr/bin/python3
"""Checks with NumPy that an .npz written by sasrnn holds exactly the arrays of the original.

usage: /usr/bin/python3 check_npz_roundtrip.py ORIGINAL.npz OURS.npz

Same array names, same dtypes (float arrays '<f4' in OURS; an original in another float dtype
must round to the same float32), same shapes, and bit-identical values (compared as integers
through .view(), so -0.0, subnormals and NaN payloads count). Exit 0 and "OK: ..." if so.
"""
import sys

import numpy as np


def bits(a):
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return a.view(np.uint32 if a.dtype.itemsize == 4 else np.uint64)
    return a


def main():
    original, ours = np.load(sys.argv[1]), np.load(sys.argv[2])
    problems = []
    if sorted(original.files) != sorted(ours.files):
        problems.append("names differ: original %s, ours %s" % (sorted(original.files), sorted(ours.files)))
    for name in sorted(set(original.files) & set(ours.files)):
        a, b = original[name], ours[name]
        if a.shape != b.shape:
            problems.append("%s: shape %s, ours %s" % (name, a.shape, b.shape))
            continue
        if a.dtype.kind == "f" and a.dtype.itemsize == 4 or name in ("provenance_metric_values",):
            want = a.astype(a.dtype.newbyteorder("<"))
        elif a.dtype.kind == "f":
            want = a.astype("<f4")  # float64 in the original: ours holds its nearest float32
        elif a.dtype.kind == "u" and a.dtype.itemsize == 1 and name == "input_mask":
            want = a.astype(bool)
        else:
            want = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
        if want.dtype != b.dtype:
            problems.append("%s: dtype %s, ours %s" % (name, want.dtype.str, b.dtype.str))
            continue
        if not np.array_equal(bits(want), bits(b)):
            diff = np.flatnonzero(bits(want).ravel() != bits(b).ravel())
            problems.append("%s: %d values differ, first at flat index %d" % (name, diff.size, diff[0]))
    if problems:
        print("MISMATCH: " + "; ".join(problems))
        return 1
    print("OK: %d arrays bit-identical (%s vs %s)" % (len(ours.files), sys.argv[1], sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
