#!/usr/bin/env python3
"""Example: export the shipped MSI model as a PyTorch module (sasrnn.torch.MeanFieldRNN, the
mean-field network of paper eq. 4-5 in float64), save it with torch.save, load it back, run one
trial with the runtime's random numbers, and turn it into a .sasrnn file again.

    /usr/bin/python3 python/examples/export_torch.py --out msi_n150.pt
"""
import argparse
import pathlib

import numpy as np
import torch

import sasrnn
import sasrnn.torch

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "msi_n150.sasrnn"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--out", default="msi_n150.pt")
    a = ap.parse_args()

    model = sasrnn.load(a.model)
    net = sasrnn.torch.from_model(model)
    torch.save({"state_dict": net.state_dict(), "alpha": net.alpha, "meta": net.meta}, a.out)
    print(f"wrote {a.out}: {sum(p.numel() for p in net.parameters())} parameters (float64)")

    saved = torch.load(a.out)
    shapes = {k: v.shape for k, v in saved["state_dict"].items()}
    loaded = sasrnn.torch.MeanFieldRNN(alpha=saved["alpha"], meta=saved["meta"],
                                       **{k: torch.zeros(s, dtype=torch.float64) for k, s in shapes.items()})
    loaded.load_state_dict(saved["state_dict"])

    # one MSI trial: the runtime's inputs and random numbers, the PyTorch forward pass
    trial = model.run_msi(["both"], [14], [0], seed=1)
    noise = model.runtime_noise(seed=1, trial=0, steps=trial.x.shape[1])
    with torch.no_grad():
        h, r, z = loaded(trial.x[0][:, None], noise.eps_u[:, None], noise.eps_out[:, None], noise.noise[:, None])
    diff = np.abs(z[:, 0].numpy() - trial.z[0]).max()
    print(f"PyTorch z(T) = {z[-1, 0].numpy().round(4)}, runtime {trial.z[0, -1].round(4)}; "
          f"largest difference over the trial {diff:.2e} (float64 vs the runtime's float32)")

    back = loaded.to_model()
    print("back to .sasrnn: identical bytes" if back.to_bytes() == model.to_bytes() else "back to .sasrnn: changed")


if __name__ == "__main__":
    main()
