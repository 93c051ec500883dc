#!/usr/bin/env python3
"""Example: prune the shipped MSI model's unimportant connections (UIP, pi > 0.9: almost always
absent, paper Fig. 17) by making them absent (pi = 1, m = xi = 0), and compare the accuracy of
the dense and the pruned model in two modes on the MSI test set (the same seed: the same trials).

    /usr/bin/python3 python/examples/prune_uip.py --trials 100
"""
import argparse
import pathlib

import numpy as np

import sasrnn

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "msi_n150.sasrnn"


def prune(model, threshold=0.9):
    """The model with every connection of pi > threshold made absent; and how many there were."""
    changes, count = {}, 0
    for layer in ("in", "rec", "out"):
        pi, m, xi = (getattr(model, f"{k}_{layer}").copy() for k in ("pi", "m", "xi"))
        uip = (pi > threshold) & ~((pi == 1) & (m == 0) & (xi == 0))  # not already absent
        count += int(uip.sum())
        pi[uip], m[uip], xi[uip] = 1, 0, 0
        changes.update({f"pi_{layer}": pi, f"m_{layer}": m, f"xi_{layer}": xi})
    return model.replace(**changes), count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--trials", type=int, default=100, help="repetitions of each of the 24 conditions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="also write the pruned model here (sparse-f32 encoding)")
    a = ap.parse_args()

    model = sasrnn.load(a.model)
    pruned, count = prune(model)
    total = model.pi_in.size + model.pi_rec.size + model.pi_out.size
    sparse = pruned.with_encoding("sparse-f32")
    print(f"pruned {count} of {total} connections (pi > 0.9); the pruned model stored sparse: "
          f"{sparse.size_bytes} bytes, dense {model.size_bytes} bytes")
    for mode in ("mean-field", "sampled-per-step"):
        before = model.evaluate_msi(mode=mode, trials=a.trials, seed=a.seed).accuracy
        after = pruned.evaluate_msi(mode=mode, trials=a.trials, seed=a.seed).accuracy
        same = sparse.evaluate_msi(mode=mode, trials=a.trials, seed=a.seed).accuracy
        assert same == after  # the sparse encoding is lossless
        print(f"{mode:17s} accuracy {100 * before:.2f} % -> {100 * after:.2f} % "
              f"({100 * (after - before):+.2f} pp)")
    if a.out:
        sparse.save(a.out)
        print(f"wrote {a.out}")
    assert np.all(pruned.pi_rec[model.pi_rec > 0.9] == 1)


if __name__ == "__main__":
    main()
