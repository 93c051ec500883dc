#!/usr/bin/python3
"""Whether two model files hold the same network bit for bit (every array and dynamics value;
provenance, name and the file's encoding aside): both are exported with `sasrnn convert` to .npz
and compared with NumPy. Exit 0 if equal; else one line per differing array and exit 1.

Used by the test that retrains a shipped model from its recipe file and expects the shipped file
back (tests/CMakeLists.txt: cli.train_reproduces_shipped_msi).

Usage: check_same_parameters.py SASRNN_EXE EXPECTED.sasrnn ACTUAL.sasrnn WORKDIR
"""
import pathlib
import subprocess
import sys

import numpy as np


def export(exe, model, out):
    subprocess.run([exe, "convert", model, str(out), "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    with np.load(out) as z:
        return {k: z[k] for k in z.files
                if not k.startswith("provenance_") and k != "name"}


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    exe, expected, actual, work = sys.argv[1:]
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    a = export(exe, expected, work / "expected.npz")
    b = export(exe, actual, work / "actual.npz")
    bad = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            bad.append(f"{k}: only in {'the expected' if k in a else 'the actual'} model")
        elif a[k].shape != b[k].shape or a[k].dtype != b[k].dtype:
            bad.append(f"{k}: {a[k].dtype}{a[k].shape} expected, {b[k].dtype}{b[k].shape} found")
        elif a[k].tobytes() != b[k].tobytes():
            diff = int(np.count_nonzero(a[k] != b[k]))
            bad.append(f"{k}: {diff} of {a[k].size} values differ")
    if bad:
        for line in bad:
            print(f"{actual} differs from {expected}: {line}")
        sys.exit(1)
    print(f"{actual} holds the network of {expected} bit for bit ({len(a)} arrays)")


if __name__ == "__main__":
    main()
