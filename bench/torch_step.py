#!/usr/bin/python3
"""PyTorch eager baseline of the per-step latency (issue 5): the same SaS RNN step, written the way
a researcher would in PyTorch on the CPU, timed step by step.

Reads the arrays written by `sasrnn bench MODEL --dump-dir DIR` (DIR/n{N}_*.f32, DIR/n{N}.json) and
prints JSON with min/median/p99 per mode, microseconds per step. Needs Debian's python3-torch
(apt-get install --no-install-recommends python3-torch); run with /usr/bin/python3.

Modes (recurrent noise on, as in `sasrnn bench`):
  mean-field         u = mu r + mu_in x + eps sqrt(var r^2 + var_in x^2), mu/var precomputed once
  sampled-per-step   a fresh concrete network every step: torch.bernoulli + torch.randn per layer
  sampled-per-trial  one concrete network per trial (drawn at the trial's first step)
  mean-weights       w = mu
  floor              deterministic: W r + W_in x, leaky ReLU (the same as the Eigen floor)

With --batch B it measures throughput instead: the same step written for B trials at once (h of
shape B x N; MeanField and MeanWeights as matrix products of the batch, SampledPerStep with a
fresh concrete network per trial and step, torch.bmm), and prints JSON with trial-steps per
second per mode from the median step (and from the mean step; the peer of
sasrnn_batch_throughput; bench/run_bench.py runs both).
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch


def load(dirname, n):
    meta = json.load(open(f"{dirname}/n{n}.json"))
    shapes = {"input": (n, meta["n_in"]), "recurrent": (n, n), "output": (meta["n_out"], n)}
    layers = {}
    for name, shape in shapes.items():
        layers[name] = {k: torch.from_numpy(np.fromfile(f"{dirname}/n{n}_{name}_{k}.f32", dtype="<f4").reshape(shape).copy())
                        for k in ("pi", "m", "xi")}
    return meta, layers


def msi_inputs(steps_per_trial, trials, gen):
    """MSI-like inputs: baseline 0.2, start cue, stimulus amplitudes, input noise."""
    xs = torch.full((trials, steps_per_trial, 5), 0.2)
    for k in range(trials):
        f = 9 + k % 8
        pos, neg = 0.4 + 0.8 * (f - 9) / 7, 0.4 + 0.8 * (16 - f) / 7
        xs[k, 25:75, 0] += pos; xs[k, 25:75, 1] += pos
        xs[k, 25:75, 2] += neg; xs[k, 25:75, 3] += neg
        xs[k, 25:, 4] += 1.0
    xs += math.sqrt(2 * 0.01 ** 2 / 0.2) * torch.randn(xs.shape, generator=gen)
    return xs


def sample(layer, gen):
    keep = torch.bernoulli(1.0 - layer["pi"], generator=gen)
    return keep * (layer["m"] + layer["xi"].sqrt() * torch.randn(layer["m"].shape, generator=gen))


def run(mode, meta, L, steps, gen):
    alpha = meta["alpha"]
    noise_scale = math.sqrt(2 * alpha * meta["sigma_rec"] ** 2)
    n = meta["n"]
    mu = {k: (1 - v["pi"]) * v["m"] for k, v in L.items()}
    var = {k: (1 - v["pi"]) * (v["xi"] + v["pi"] * v["m"] ** 2) for k, v in L.items()}
    spt = 90
    xs = msi_inputs(spt, 8, gen)
    times = []
    h = torch.zeros(n)
    r = torch.zeros(n)
    W = None
    total = steps + spt  # one trial of warm-up
    with torch.no_grad():
        for s in range(total):
            trial, t = divmod(s, spt)
            x = xs[trial % xs.shape[0], t]
            t0 = time.perf_counter_ns()
            if t == 0:
                h = torch.zeros(n)
                r = torch.zeros(n)
                if mode == "sampled-per-trial":
                    W = {k: sample(v, gen) for k, v in L.items()}
            if mode == "floor":
                u = mu["recurrent"] @ r + mu["input"] @ x
                h = (1 - alpha) * h + alpha * u
                r = torch.relu(h)
                y = mu["output"] @ r
            elif mode == "mean-field":
                g = mu["recurrent"] @ r + mu["input"] @ x
                d2 = var["recurrent"] @ (r * r) + var["input"] @ (x * x)
                u = g + torch.randn(n, generator=gen) * d2.sqrt()
                h = (1 - alpha) * h + alpha * u + noise_scale * torch.randn(n, generator=gen)
                r = torch.relu(h)
                go = mu["output"] @ r
                y = go + torch.randn(go.shape, generator=gen) * (var["output"] @ (r * r)).sqrt()
            else:
                if mode == "sampled-per-step":
                    W = {k: sample(v, gen) for k, v in L.items()}
                elif mode == "mean-weights":
                    W = mu
                u = W["recurrent"] @ r + W["input"] @ x
                h = (1 - alpha) * h + alpha * u + noise_scale * torch.randn(n, generator=gen)
                r = torch.relu(h)
                y = W["output"] @ r
            t1 = time.perf_counter_ns()
            if s >= spt:
                times.append(t1 - t0)
    a = np.sort(np.array(times, dtype=np.float64)) / 1e3
    return {"steps": len(a), "min_us": float(a[0]), "median_us": float(np.median(a)),
            "p99_us": float(a[int(math.ceil(0.99 * len(a))) - 1]), "mean_us": float(a.mean())}


def run_batch(mode, meta, L, batch, steps, gen):
    """Trial-steps per second of `batch` trials at once (MSI protocol, 90 steps a trial)."""
    alpha = meta["alpha"]
    noise_scale = math.sqrt(2 * alpha * meta["sigma_rec"] ** 2)
    n = meta["n"]
    mu = {k: (1 - v["pi"]) * v["m"] for k, v in L.items()}
    var = {k: (1 - v["pi"]) * (v["xi"] + v["pi"] * v["m"] ** 2) for k, v in L.items()}
    mu_t = {k: v.t().contiguous() for k, v in mu.items()}
    var_t = {k: v.t().contiguous() for k, v in var.items()}
    spt = 90
    xs = msi_inputs(spt, batch, gen)  # [trial, step, input]
    keep_p = {k: (1.0 - v["pi"]).expand(batch, *v["pi"].shape).contiguous() for k, v in L.items()}
    sd = {k: v["xi"].sqrt() for k, v in L.items()}

    def sample_batch(k):
        keep = torch.bernoulli(keep_p[k], generator=gen)
        return keep * (L[k]["m"] + sd[k] * torch.randn(keep.shape, generator=gen))

    def matvec(W, v):  # W [B, rows, cols] @ v [B, cols]
        return torch.bmm(W, v.unsqueeze(-1)).squeeze(-1)

    total = steps + spt  # one trial of warm-up
    times = []
    with torch.no_grad():
        for s in range(total):
            t = s % spt
            t0 = time.perf_counter_ns()
            x = xs[:, t]
            if t == 0:
                h = torch.zeros(batch, n)
                r = torch.zeros(batch, n)
            if mode == "mean-field":
                g = r @ mu_t["recurrent"] + x @ mu_t["input"]
                d2 = (r * r) @ var_t["recurrent"] + (x * x) @ var_t["input"]
                u = g + torch.randn(batch, n, generator=gen) * d2.sqrt()
                h = (1 - alpha) * h + alpha * u + noise_scale * torch.randn(batch, n, generator=gen)
                r = torch.relu(h)
                go = r @ mu_t["output"]
                y = go + torch.randn(go.shape, generator=gen) * ((r * r) @ var_t["output"]).sqrt()
            elif mode == "mean-weights":
                u = r @ mu_t["recurrent"] + x @ mu_t["input"]
                h = (1 - alpha) * h + alpha * u + noise_scale * torch.randn(batch, n, generator=gen)
                r = torch.relu(h)
                y = r @ mu_t["output"]
            else:  # sampled-per-step: every trial its own concrete network, every step
                W = {k: sample_batch(k) for k in L}
                u = matvec(W["recurrent"], r) + matvec(W["input"], x)
                h = (1 - alpha) * h + alpha * u + noise_scale * torch.randn(batch, n, generator=gen)
                r = torch.relu(h)
                y = matvec(W["output"], r)
            t1 = time.perf_counter_ns()
            if s >= spt:
                times.append(t1 - t0)
    del y
    a = np.array(times, dtype=np.float64) / 1e9
    # the median step is the peer's figure: on a shared machine it leaves out the steps slowed by
    # other processes, which the mean (given too) includes
    return {"steps": len(a), "batch": batch, "trial_steps_per_s": batch / float(np.median(a)),
            "trial_steps_per_s_mean": batch * len(a) / float(a.sum())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump_dir")
    ap.add_argument("--sizes", default="32,64,150,256")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    ap.add_argument("--batch", type=int, default=0,
                    help="measure trial-steps per second of this many trials at once instead")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1)
    if args.batch > 0:
        out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch,
               "unit": "trial-steps per second", "sizes": []}
        for n in [int(s) for s in args.sizes.split(",")]:
            meta, L = load(args.dump_dir, n)
            res = {"n": n, "variants": {}}
            for mode in ("mean-field", "mean-weights", "sampled-per-step"):
                res["variants"][mode] = run_batch(mode, meta, L, args.batch, args.steps, gen)
                print(f"torch N={n} batch {args.batch} {mode}: "
                      f"{res['variants'][mode]['trial_steps_per_s']:.0f} trial-steps/s", file=sys.stderr)
            out["sizes"].append(res)
        json.dump(out, sys.stdout, indent=1)
        return
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(),
           "unit": "microseconds per step", "sizes": []}
    for n in [int(s) for s in args.sizes.split(",")]:
        meta, L = load(args.dump_dir, n)
        res = {"n": n, "variants": {}}
        for mode in ("floor", "mean-field", "sampled-per-step", "sampled-per-trial", "mean-weights"):
            res["variants"][mode] = run(mode, meta, L, args.steps, gen)
            print(f"torch N={n} {mode}: median {res['variants'][mode]['median_us']:.1f} us", file=sys.stderr)
        out["sizes"].append(res)
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
