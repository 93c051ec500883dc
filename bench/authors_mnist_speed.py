#!/usr/bin/python3
"""Training speed of row-by-row MNIST: the authors' NumPy code against `sasrnn train`, one run.

Times the same work in both -- mini-batches of 128 images, 28 steps x 28 inputs, N = 100, Adam,
mean-field gBPTT of all nine groups -- alternating the two programs ROUNDS times so that the
machine's load hits both alike, and prints the seconds per batch of each and their ratio.

The authors' code is not part of this repository. Get it with
    git clone https://github.com/ZouWenXuan/Spike-and-Slab-RNN
and pass "Results/MNIST digit classification/BPTT-SAS-28by28.py" as --authors-file. The script
executes that file's definitions (everything before its data loading and training loop, unchanged)
and calls its own `train()` on BATCHES batches of the real MNIST training images, read from the
idx files that scripts/fetch-mnist fetched. NumPy's BLAS matters: install libopenblas0-pthread
(Debian's reference BLAS is ~20x slower on these products); the script prints which BLAS NumPy uses.

`sasrnn train --task mnist-row --epochs 1` (validation and final evaluation off) gives our time per
batch: the epoch's training seconds from its CSV log over its batches.

Usage: bench/authors_mnist_speed.py --authors-file FILE [--sasrnn build/cli/sasrnn]
       [--mnist-dir DIR] [--batches 200] [--rounds 2] [--threads 2]
"""
import argparse
import contextlib
import csv
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_idx(path, header, shape_tail):
    data = pathlib.Path(path).read_bytes()
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape((-1,) + shape_tail)


def authors_seconds_per_batch(source, images, labels, batches, seed):
    """Runs the authors' train() on `batches` batches of 128; returns seconds per batch."""
    cut = source.find("\nimport loadm")
    if cut < 0:
        sys.exit("authors_mnist_speed: --authors-file has no 'import loadm' line: not the expected "
                 "BPTT-SAS-28by28.py")
    ns = {"__name__": "authors"}
    exec(compile(source[:cut], "BPTT-SAS-28by28.py", "exec"), ns)  # their definitions, unchanged
    np.random.seed(seed)
    n_in, n_rec, n_out = 28, 100, 10
    net = ns["RNN"](n_in, n_rec, n_out)
    ns["net1"] = net      # their train() uses these globals
    ns["n_rec"] = n_rec
    rate = np.full(9, 1e-3)
    data = images.astype(np.float32) / 255.0
    onehot = np.zeros((labels.size, 10))
    onehot[np.arange(labels.size), labels] = 1.0
    with contextlib.redirect_stdout(sys.stderr):  # their progress line
        start = time.perf_counter()
        ns["train"](net, 128, batches, data, onehot, rate, "Adam")
        seconds = time.perf_counter() - start
        print()
    return seconds / batches


def sasrnn_seconds_per_batch(sasrnn, mnist_dir, threads, seed):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "row.sasrnn")
        done = subprocess.run([sasrnn, "train", "--task", "mnist-row", "--out", out, "--epochs", "1",
                        "--validate-every", "0", "--eval-trials", "0", "--threads", str(threads),
                        "--seed", str(seed), "--mnist-dir", mnist_dir],
                       check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        with open(os.path.join(tmp, "row.csv")) as f:
            row = next(csv.DictReader(f))
        found = re.search(r"(\d+) batches per epoch", done.stdout)
        if not found:
            sys.exit("authors_mnist_speed: sasrnn train did not say its batches per epoch")
        batches = int(found.group(1))
        return float(row["seconds"]) / batches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--authors-file", required=True,
                    help="the authors' 'Results/MNIST digit classification/BPTT-SAS-28by28.py'")
    ap.add_argument("--sasrnn", default="build/cli/sasrnn")
    ap.add_argument("--mnist-dir", default=os.environ.get(
        "SASRNN_MNIST_DIR", os.path.expanduser("~/.cache/sasrnn/mnist")))
    ap.add_argument("--batches", type=int, default=200,
                    help="batches of the authors' code per round (their epoch is 200)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="sasrnn train --threads")
    a = ap.parse_args()
    source = pathlib.Path(a.authors_file).read_text(encoding="utf-8")
    images = read_idx(os.path.join(a.mnist_dir, "train-images-idx3-ubyte"), 16, (784,))
    labels = read_idx(os.path.join(a.mnist_dir, "train-labels-idx1-ubyte"), 8, ()).reshape(-1)
    libs = open("/proc/self/maps").read()
    which = "openblas" if "openblas" in libs else ("reference blas" if "libblas" in libs else "?")
    print(f"numpy {np.__version__}, BLAS loaded: {which}")
    theirs, ours = [], []
    for r in range(a.rounds):
        theirs.append(authors_seconds_per_batch(source, images, labels, a.batches, seed=r))
        ours.append(sasrnn_seconds_per_batch(a.sasrnn, a.mnist_dir, a.threads, seed=r + 1))
        print(f"round {r + 1}: authors' NumPy {theirs[-1] * 1e3:.1f} ms/batch, "
              f"sasrnn train {ours[-1] * 1e3:.1f} ms/batch, ratio {theirs[-1] / ours[-1]:.1f}x")
    t, o = min(theirs), min(ours)
    print(f"best of {a.rounds}: authors' NumPy {t * 1e3:.1f} ms/batch "
          f"({t * 200:.1f} s for their 200-batch epoch), sasrnn train {o * 1e3:.1f} ms/batch "
          f"; sasrnn is {t / o:.1f}x faster")


if __name__ == "__main__":
    main()
