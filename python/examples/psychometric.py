#!/usr/bin/env python3
"""Example: the psychometric curves of the shipped MSI model (paper Fig. 10), P(high choice)
against the event rate for each modality, in two modes, with the fitted cumulative Gaussians.

    /usr/bin/python3 python/examples/psychometric.py --trials 100 --out psychometric.png
"""
import argparse
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import sasrnn  # noqa: E402

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "msi_n150.sasrnn"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--trials", type=int, default=100, help="repetitions of each of the 24 conditions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="psychometric.png")
    a = ap.parse_args()

    model = sasrnn.load(a.model)
    modes = ("mean-field", "sampled-per-step")
    fig, axes = plt.subplots(1, len(modes), figsize=(10, 4), sharey=True)
    fine = np.linspace(9, 16, 200)
    for ax, mode in zip(axes, modes):
        r = model.evaluate_msi(mode=mode, trials=a.trials, seed=a.seed)
        for m, (name, color) in enumerate(zip(sasrnn.MODALITIES[:3], ("tab:blue", "tab:green", "tab:red"))):
            mu, sigma = r.fits[m]
            ax.plot(sasrnn.RATES, r.p_high[m], "o", color=color, label=f"{name} (sigma {sigma:.2f})")
            ax.plot(fine, [0.5 * math.erfc(-(f - mu) / (sigma * math.sqrt(2))) for f in fine], color=color)
        ax.axvline(model.msi.boundary, color="grey", lw=0.5)
        ax.set_title(f"{mode}: accuracy {100 * r.accuracy:.2f} %")
        ax.set_xlabel("event rate (events/s)")
        ax.legend(loc="upper left", fontsize=8)
        sv, sa, sb = (r.fits[m][1] for m in range(3))
        print(f"{mode}: accuracy {100 * r.accuracy:.2f} %, sigma visual {sv:.3f} auditory {sa:.3f} "
              f"both {sb:.3f} (optimal {1 / math.sqrt(1 / sv ** 2 + 1 / sa ** 2):.3f})")
    axes[0].set_ylabel("P(high choice)")
    fig.suptitle(f"{model.name}: {a.trials} repetitions per condition, seed {a.seed}, dt 20 ms")
    fig.tight_layout()
    fig.savefig(a.out, dpi=100)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
