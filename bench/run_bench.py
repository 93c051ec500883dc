#!/usr/bin/python3
"""One benchmark run (issue 5): runtime modes, Eigen floor, naive sampler (sasrnn bench), PyTorch
eager (bench/torch_step.py) and callgrind instructions per step (sasrnn_step_count), then
OUT/latency.json (everything), OUT/latency.png (latency against N) and OUT/table.md (ratios).
Then throughput at N = 150 (issue 17): trial-steps per second one trial at a time against
batched, on one thread and in the evaluations on every core (sasrnn_batch_throughput), and
PyTorch batched over the same B trials on 2 threads (torch_step.py --batch), into
OUT/throughput.json and OUT/throughput.md; --only-throughput runs just that part.

  /usr/bin/python3 bench/run_bench.py --build build-bench --out bench/results

Needs python3-torch (with libopenblas0-pthread), python3-matplotlib and valgrind (Debian packages).
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["mean-field", "sampled-per-step", "sampled-per-trial", "mean-weights"]


def sh(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def callgrind_ir(build, model, n, variant, steps):
    out = f"/tmp/sasrnn_cg_{os.getpid()}.out"
    sh(["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}",
        f"{build}/bench/sasrnn_step_count", model, str(n), variant, str(steps)],
       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        text = f.read()
    os.remove(out)
    m = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text, re.M)
    return int(m.group(1)) / steps


THROUGHPUT_MODES = ["mean-field", "mean-weights", "sampled-per-step"]


def throughput(args, root, arrays):
    """Trial-steps per second at N = 150: the runtime (sasrnn_batch_throughput) and PyTorch batched."""
    model = os.path.relpath(os.path.abspath(args.model), root)
    runtime = {}
    for mode in THROUGHPUT_MODES:
        text = sh([os.path.join(os.path.abspath(args.build), "bench", "sasrnn_batch_throughput"), model, mode,
                   str(args.batch_trials)], cwd=root, stdout=subprocess.PIPE, text=True).stdout
        rows = {}
        for line in text.splitlines():
            m = re.match(r"^(single|single, moment cache|batch 8|batch 16|batch 16, moment cache|evaluation single|"
                         r"evaluation batched)\s+(\d+) trial-steps/s\s+(\d+) thread", line)
            if m:
                rows[m.group(1)] = {"trial_steps_per_s": float(m.group(2)), "threads": int(m.group(3))}
        runtime[mode] = rows
    # PyTorch on 2 threads (the peer) and on 1: on a shared machine its OpenMP threads
    # wait for each other when a core is busy, so the stronger of the two is the peer; its figure
    # is from the median step (torch_step.py), which favours it against the runtime's whole-run mean
    torch = {}
    for threads in (2, 1):
        out = sh(["/usr/bin/python3", os.path.join(HERE, "torch_step.py"), arrays, "--sizes", "150",
                  "--batch", "16", "--threads", str(threads), "--steps", str(args.torch_batch_steps)],
                 stdout=subprocess.PIPE).stdout
        torch[str(threads)] = json.loads(out)
    result = {"n": 150, "trials": args.batch_trials, "load_average_1min_at_end": os.getloadavg()[0],
              "runtime": runtime, "torch_batched": torch}
    with open(os.path.join(args.out, "throughput.json"), "w") as f:
        json.dump(result, f, indent=1)
    tv = {k: v["sizes"][0]["variants"] for k, v in torch.items()}
    et = runtime["mean-field"]["evaluation single"]["threads"]
    lines = ["| mode | one trial, 1 thread | one trial + moment cache, 1 thread | batch 16, 1 thread | "
             "batch 16 + moment cache, 1 thread | evaluation, one trial at a time "
             f"({et} threads) | evaluation, batched ({et} threads) | PyTorch batch 16, 2 threads | PyTorch batch 16, "
             "1 thread | fastest 1-thread variant / one trial | evaluation now / best PyTorch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in THROUGHPUT_MODES:
        r = runtime[mode]
        one = r["single"]["trial_steps_per_s"]
        best1 = max(v["trial_steps_per_s"] for k, v in r.items() if v["threads"] == 1)
        now = r.get("evaluation batched", r["evaluation single"])["trial_steps_per_s"]
        peer = max(tv[k][mode]["trial_steps_per_s"] for k in tv)
        cell = lambda k: f"{r[k]['trial_steps_per_s']:,.0f}" if k in r else "—"
        lines.append(f"| {mode} | {cell('single')} | {cell('single, moment cache')} | {cell('batch 16')} | "
                     f"{cell('batch 16, moment cache')} | {cell('evaluation single')} | "
                     f"{cell('evaluation batched')} | {tv['2'][mode]['trial_steps_per_s']:,.0f} | "
                     f"{tv['1'][mode]['trial_steps_per_s']:,.0f} | {best1 / one:.2f}× | {now / peer:.1f}× |")
    table = "\n".join(lines)
    with open(os.path.join(args.out, "throughput.md"), "w") as f:
        f.write("Trial-steps per second at N = 150, MSI test protocol (90 steps a trial), one run "
                f"(1-minute load average at its end: {result['load_average_1min_at_end']:.1f}):\n\n" + table + "\n")
    print(table)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build-bench"))
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "msi_n150.sasrnn"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--sizes", default="32,64,150,256")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--naive-steps", type=int, default=200)
    ap.add_argument("--torch-steps", type=int, default=1000)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--batch-trials", type=int, default=960, help="trials per throughput variant")
    ap.add_argument("--torch-batch-steps", type=int, default=450, help="steps of PyTorch's batch per mode")
    ap.add_argument("--only-throughput", action="store_true", help="only the throughput at N = 150")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    arrays = os.path.join(args.out, "arrays")
    os.makedirs(arrays, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    root = os.path.dirname(HERE)
    if args.only_throughput:  # the arrays of N = 150 for PyTorch, then the throughput alone
        sh([os.path.join(os.path.abspath(args.build), "cli", "sasrnn"), "bench",
            os.path.relpath(os.path.abspath(args.model), root), "--sizes", "150", "--steps", "100",
            "--naive-steps", "2", "--json", os.path.abspath(os.path.join(arrays, "bench.json")),
            "--force", "--dump-dir", os.path.abspath(arrays)], cwd=root, stdout=subprocess.DEVNULL)
        throughput(args, root, arrays)
        return

    runtime_json = os.path.join(args.out, "runtime.json")
    # run from the repository root with the model's path relative to it, so that the results
    # name no folder of the machine they ran on
    sh([os.path.join(os.path.abspath(args.build), "cli", "sasrnn"), "bench",
        os.path.relpath(os.path.abspath(args.model), root), "--sizes", args.sizes, "--steps", str(args.steps),
        "--naive-steps", str(args.naive_steps), "--json", os.path.abspath(runtime_json),
        "--force", "--dump-dir", os.path.abspath(arrays)], cwd=root)
    runtime = json.load(open(runtime_json))
    torch_out = sh(["/usr/bin/python3", os.path.join(HERE, "torch_step.py"), arrays, "--sizes", args.sizes,
                    "--steps", str(args.torch_steps)], stdout=subprocess.PIPE).stdout
    torch = json.loads(torch_out)

    callgrind = {}
    if not args.no_callgrind:
        for n in sizes:
            callgrind[str(n)] = {}
            for v in ["eigen-floor"] + MODES + ["naive-sampler"]:
                callgrind[str(n)][v] = callgrind_ir(args.build, args.model, n, v, 3 if v == "naive-sampler" else 90)

    merged = {"runtime": runtime, "torch": torch, "callgrind_instructions_per_step": callgrind}
    with open(os.path.join(args.out, "latency.json"), "w") as f:
        json.dump(merged, f, indent=1)

    # table of ratios to the floor (medians), one run
    tv = {s["n"]: s["variants"] for s in torch["sizes"]}
    lines = ["| N | variant | min µs | median µs | p99 µs | median / floor | callgrind instr./step |",
             "|---|---|---|---|---|---|---|"]
    for s in runtime["sizes"]:
        n = s["n"]
        floor = s["variants"]["eigen-floor"]["median_us"]
        rows = [(k, v) for k, v in s["variants"].items()] + \
               [("pytorch " + k, v) for k, v in tv.get(n, {}).items()]
        for k, v in rows:
            ir = callgrind.get(str(n), {}).get(k)
            lines.append(f"| {n} | {k} | {v['min_us']:.2f} | {v['median_us']:.2f} | {v['p99_us']:.2f} | "
                         f"{v['median_us'] / floor:.2f}× | {'' if ir is None else f'{ir:,.0f}'} |")
    targets = []
    for s in runtime["sizes"]:
        if s["n"] != 150:
            continue
        V = s["variants"]
        fl = V["eigen-floor"]["median_us"]
        T = tv.get(150, {})
        targets.append(f"- MeanField / floor = {V['mean-field']['median_us'] / fl:.2f} (target ≤ 2.5)")
        targets.append(f"- SampledPerStep / floor = {V['sampled-per-step']['median_us'] / fl:.2f} (target ≤ 4)")
        if "naive-sampler" in V:
            targets.append(f"- naive sampler / SampledPerStep = {V['naive-sampler']['median_us'] / V['sampled-per-step']['median_us']:.1f} (target ≥ 20)")
        for m in MODES:
            if m in T:
                targets.append(f"- PyTorch eager {m} / runtime {m} = {T[m]['median_us'] / V[m]['median_us']:.1f} (target ≥ 20)")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n\nAt N = 150 (medians, one run):\n" + "\n".join(targets) + "\n")
    print("\n".join(lines))
    print("\n".join(targets))

    plot(runtime, torch, args.out)
    throughput(args, root, arrays)


def plot(runtime, torch, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ns = [s["n"] for s in runtime["sizes"]]
    for v in runtime["sizes"][0]["variants"]:
        med = [s["variants"][v]["median_us"] for s in runtime["sizes"]]
        lo = [s["variants"][v]["min_us"] for s in runtime["sizes"]]
        hi = [s["variants"][v]["p99_us"] for s in runtime["sizes"]]
        ax.errorbar(ns, med, yerr=[[m - l for m, l in zip(med, lo)], [h - m for m, h in zip(med, hi)]],
                    marker="o", capsize=3, label=("runtime " if v in MODES else "") + v,
                    linestyle="-" if v in MODES else "--")
    for v in ["floor"] + MODES:
        pts = [(s["n"], s["variants"][v]["median_us"]) for s in torch["sizes"] if v in s["variants"]]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="x", linestyle=":", label="pytorch " + v)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("recurrent units N (NIn = 5, NOut = 2)")
    ax.set_ylabel("latency per step, µs (median; bars: min to p99)")
    ax.set_title("sasrnn per-step latency, MSI protocol, one run")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "latency.png"), dpi=120)
    print("wrote", os.path.join(outdir, "latency.json"), os.path.join(outdir, "latency.png"),
          os.path.join(outdir, "table.md"))


if __name__ == "__main__":
    main()
