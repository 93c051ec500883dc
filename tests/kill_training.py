#!/usr/bin/env python3
"""Crash-safe training, tested on real `sasrnn train` processes (docs/cli.md "Signals").

usage: kill_training.py SASRNN WORKDIR

A tiny MSI run (N = 12, short trials, a checkpoint after every epoch, model selection every 2
epochs) is
  - killed with SIGKILL at seeded random moments, each time resumed from whatever checkpoint is
    left: that checkpoint must be whole and never go back in epochs;
  - stopped with SIGINT and with SIGTERM: exit code 130 / 143, one line on stderr naming the
    signal and the epoch, whose checkpoint was written;
  - run once without interruption to a few epochs past every interruption (the reference:
    --epochs changes nothing else, so a resumed run may extend it).
Every interrupted run, resumed to the reference's epoch, must end with a checkpoint equal to the
reference's bit for bit: parameters, optimiser moments, the best validated parameters and their score and
epoch, and the log's history (all but the wall-clock seconds column). No timing is asserted: a
kill may land anywhere, and every outcome must satisfy the same checks.
"""
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

FOREVER = 1000000  # the interrupted runs are stopped by a signal, never by --epochs
# a tiny MSI run: N = 12, short trials (0/100/60 ms at dt 20 ms), a checkpoint after every epoch,
# model selection every 2 epochs (its best parameters must survive the interruptions too)
CONFIG = ["train", "--n", "12", "--batch", "6", "--stop", "none", "--eval-trials", "0",
          "--checkpoint-every", "1", "--progress-every", "100000", "--validate-every", "2",
          "--validate-trials", "1", "--seed", "5", "--fixation-ms", "0", "--stimulus-ms", "100",
          "--decision-ms", "60", "--trial-ms", "0"]
SECONDS_COLUMN = 3  # history rows: epoch, loss, accuracy, seconds, ...


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def read_checkpoint(path):
    """(header without the wall-clock seconds, the arrays' bytes); fails on a torn file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 20 or data[:8] != b"SASRCKPT":
        fail(f"{path}: not a checkpoint ({len(data)} bytes)")
    (length,) = struct.unpack("<Q", data[12:20])
    if 20 + length > len(data):
        fail(f"{path}: torn (header length {length}, file {len(data)} bytes)")
    head = json.loads(data[20:20 + length])
    for row in head["history"]:
        row[SECONDS_COLUMN] = 0.0
    return head, data[20 + length:]


def start(sasrnn, work, name, resume, epochs=FOREVER):
    args = [sasrnn] + CONFIG + ["--epochs", str(epochs), "--out", os.path.join(work, name + ".sasrnn")]
    if resume:
        args.append("--resume")
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epoch_of(path):
    return read_checkpoint(path)[0]["epoch"] if os.path.exists(path) else 0


def wait_for_checkpoint(proc, ckpt, at_least):
    """Waits until the checkpoint holds `at_least` epochs or the process ended."""
    while proc.poll() is None:
        if os.path.exists(ckpt) and epoch_of(ckpt) >= at_least:
            return
        time.sleep(0.01)


def finish(sasrnn, work, name, epochs):
    """Resumes `name` to `epochs` (or runs it afresh if no checkpoint was ever written)."""
    ckpt = os.path.join(work, name + ".ckpt")
    proc = start(sasrnn, work, name, os.path.exists(ckpt), epochs)
    out, err = proc.communicate()
    if proc.returncode != 0:
        fail(f"{name}: the resumed run failed ({proc.returncode}): {err}")
    if "trained" not in out or f"wrote {os.path.join(work, name)}.sasrnn" not in out:
        fail(f"{name}: the resumed run did not finish: {out}")


def same_as_reference(ref, work, name, epochs):
    head, body = read_checkpoint(os.path.join(work, name + ".ckpt"))
    if head != ref[0]:
        for key in head:
            if head[key] != ref[0].get(key):
                fail(f"{name}: checkpoint header differs from the reference's in '{key}'")
        fail(f"{name}: checkpoint header differs from the reference's")
    if body != ref[1]:
        fail(f"{name}: parameters or optimiser state differ from the reference's")
    with open(os.path.join(work, name + ".csv")) as f:
        rows = f.read().splitlines()
    if len(rows) != epochs + 1:
        fail(f"{name}: the log has {len(rows)} lines, expected {epochs + 1}")
    print(f"ok: {name} resumed to epoch {epochs} equals the uninterrupted run bit for bit "
          f"(best validated epoch {head['best']['epoch']})")


def main():
    sasrnn, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))

    # SIGKILL at seeded random moments (often inside a checkpoint's write); each time the
    # checkpoint left must load and be no older than the last one
    rng = random.Random(16)
    ckpt = os.path.join(work, "kill.ckpt")
    last = 0
    for attempt in range(4):
        proc = start(sasrnn, work, "kill", os.path.exists(ckpt))
        wait_for_checkpoint(proc, ckpt, last + 1)
        time.sleep(rng.uniform(0.0, 0.03))
        if proc.poll() is not None:
            fail(f"SIGKILL: the run ended by itself: {proc.communicate()[1]}")
        proc.kill()
        proc.communicate()
        epoch = epoch_of(ckpt)  # read_checkpoint fails on a torn file
        if epoch < last:
            fail(f"SIGKILL: the checkpoint went back from epoch {last} to {epoch}")
        last = epoch
    print(f"ok: 4 SIGKILLs, each left a whole checkpoint (last at epoch {last})")
    stopped = {"kill": last}

    # SIGINT and SIGTERM: a clean stop with a checkpoint, exit 128 + signal, one line
    for sig, name, code in ((signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)):
        run = name.lower()
        proc = start(sasrnn, work, run, False)
        wait_for_checkpoint(proc, os.path.join(work, run + ".ckpt"), 2)
        if proc.poll() is not None:
            fail(f"{name}: the run ended before the signal: {proc.communicate()[1]}")
        proc.send_signal(sig)
        out, err = proc.communicate()
        if proc.returncode != code:
            fail(f"{name}: exit code {proc.returncode}, expected {code}; stderr: {err}")
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith(f"sasrnn train: stopped by {name} after epoch"):
            fail(f"{name}: stderr is not the one line expected: {err!r}")
        epoch = int(lines[0].split("after epoch ")[1].split(";")[0])
        if epoch_of(os.path.join(work, run + ".ckpt")) != epoch:
            fail(f"{name}: the checkpoint does not hold epoch {epoch}")
        print(f"ok: {name} stopped the run after epoch {epoch} with exit code {code}")
        stopped[run] = epoch

    # the uninterrupted run, a few epochs past every interruption; each interrupted run resumed
    # to the same epoch must end with its checkpoint, bit for bit
    epochs = max(stopped.values()) + 3
    proc = start(sasrnn, work, "ref", False, epochs)
    out, err = proc.communicate()
    if proc.returncode != 0:
        fail(f"reference run failed: {err}")
    ref = read_checkpoint(os.path.join(work, "ref.ckpt"))
    if ref[0]["best"]["epoch"] <= 0:
        fail("the reference run has no best validated parameters")
    for run in stopped:
        finish(sasrnn, work, run, epochs)
        same_as_reference(ref, work, run, epochs)
    leftovers = [f for f in os.listdir(work) if ".tmp-" in f]
    print(f"temporaries left by SIGKILL (never by a clean stop): {len(leftovers)}")


if __name__ == "__main__":
    main()
