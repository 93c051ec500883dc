"""Running trials from Python: results equal `sasrnn run` for the same seed in every mode, the
trajectories are those of the runtime's network, threads do not change anything, bad input is a
Python exception."""
import re

import numpy as np
import pytest

import sasrnn

REPS = 4  # repetitions of each of the 24 conditions: 96 trials of 90 steps per mode


def parse_msi_report(text):
    rows = {}
    for name in ("visual", "auditory", "both"):
        m = re.search(rf"^  {name}\s+((?:\s+[0-9.]+){{8}})\s+([0-9.]+) %$", text, re.M)
        assert m, text
        rows[name] = [float(v) for v in m.group(1).split()]
    acc = float(re.search(r"accuracy \(mean P\(correct\) over 24 conditions\): ([0-9.]+) %", text).group(1))
    fits = re.search(r"visual mu ([0-9.]+) sigma ([0-9.]+) \| auditory mu ([0-9.]+) sigma ([0-9.]+) \| "
                     r"both mu ([0-9.]+) sigma ([0-9.]+)", text)
    return np.array([rows["visual"], rows["auditory"], rows["both"]]), acc, [float(v) for v in fits.groups()]


@pytest.mark.parametrize("mode", sasrnn.MODES)
def test_evaluate_msi_equals_sasrnn_run(msi_model, msi_path, run_cli, mode):
    seed = 7
    r = msi_model.evaluate_msi(mode=mode, trials=REPS, seed=seed)
    text = run_cli("run", msi_path, "--mode", mode, "--trials", REPS, "--seed", seed).stdout
    p_high, acc, fits = parse_msi_report(text)
    np.testing.assert_array_equal(np.round(r.p_high, 3), p_high)
    assert round(100 * r.accuracy, 2) == acc
    np.testing.assert_allclose(np.ravel(r.fits), fits, atol=0.0051)  # printed with 2-3 decimals
    assert r.decision.shape == (24 * REPS,) and r.protocol["steps"] == 90
    assert r.count.sum() == 24 * REPS


def test_evaluate_msi_protocol_and_noise_options_reach_the_cli_path(msi_model, msi_path, run_cli):
    r = msi_model.evaluate_msi(trials=2, seed=3, protocol="model", dt_ms=10, input_noise=False,
                               recurrent_noise=False, decision_ms=200)
    text = run_cli("run", msi_path, "--trials", 2, "--seed", 3, "--protocol", "model", "--dt", 10,
                   "--no-input-noise", "--no-recurrent-noise", "--decision-ms", 200).stdout
    p_high, acc, _ = parse_msi_report(text)
    np.testing.assert_array_equal(np.round(r.p_high, 3), p_high)
    assert round(100 * r.accuracy, 2) == acc
    assert r.protocol["steps"] == 10 + 100 + 20


@pytest.mark.parametrize("mode", sasrnn.MODES)
def test_msi_trials_and_trajectories_are_the_evaluation_trials(msi_model, mode):
    ev = msi_model.evaluate_msi(mode=mode, trials=2, seed=11)
    tr = msi_model.run_msi(ev.modality, ev.rate, ev.index, mode=mode, seed=11)
    np.testing.assert_array_equal(tr.decision, ev.decision)
    np.testing.assert_array_equal(tr.y_last[:, 0], ev.y_high)
    np.testing.assert_array_equal(tr.y_last[:, 1], ev.y_low)
    count, steps = ev.decision.size, ev.protocol["steps"]
    assert tr.h.shape == (count, steps, 150) and tr.z.shape == (count, steps, 2)
    np.testing.assert_array_equal(tr.r, np.maximum(tr.h, 0))
    np.testing.assert_array_equal(tr.y[:, -1], tr.y_last)
    np.testing.assert_array_equal(tr.z, tr.y)  # identity readout
    # the same inputs through run(): the same trajectories, bit for bit
    again = msi_model.run(tr.x, mode=mode, seed=11, trials=ev.index, alpha=tr.protocol["alpha"])
    for k in ("h", "r", "z", "decision"):
        np.testing.assert_array_equal(again[k], tr[k])


def test_threads_do_not_change_results(msi_model):
    a = msi_model.run_msi(["both"] * 6, np.linspace(9, 16, 6), mode="sampled-per-step", seed=2, threads=1)
    b = msi_model.run_msi(["both"] * 6, np.linspace(9, 16, 6), mode="sampled-per-step", seed=2, threads=4)
    np.testing.assert_array_equal(a.h, b.h)
    assert not np.array_equal(a.h, msi_model.run_msi(["both"] * 6, np.linspace(9, 16, 6),
                                                     mode="sampled-per-step", seed=3).h)


def test_mnist_equals_sasrnn_run(mnist_model, mnist_path, run_cli):
    try:
        images, labels = sasrnn.load_mnist("test")
    except ValueError as e:
        pytest.skip(f"MNIST files missing (scripts/fetch-mnist): {e}")
    k = 40
    for mode in ("mean-field", "sampled-per-trial"):
        r = mnist_model.evaluate_mnist(images[:k], labels[:k], mode=mode, seed=5)
        text = run_cli("run", mnist_path, "--limit", k, "--mode", mode, "--seed", 5).stdout
        assert f"({r.correct} of {k})" in text
        rows = re.findall(r"^  (\d)    ((?:\s+\d+){10})$", text, re.M)
        cli_confusion = np.array([[int(v) for v in row.split()] for _, row in rows])
        np.testing.assert_array_equal(r.confusion, cli_confusion)
        t = mnist_model.run_mnist(images[:k], mode=mode, seed=5, record=False)
        assert (t.decision == labels[:k]).sum() == r.correct
        np.testing.assert_array_equal(np.bincount(labels[:k] * 10 + t.decision, minlength=100).reshape(10, 10),
                                      r.confusion)


def test_mnist_trajectories(mnist_model):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    t = mnist_model.run_mnist(images, seed=1)
    assert t.h.shape == (3, 28, 100) and t.z.shape == (3, 28, 10)
    np.testing.assert_allclose(t.y.sum(axis=2), 1, rtol=1e-5)  # softmax readout
    x = images.astype(np.float32) / np.float32(255)
    again = mnist_model.run(x, seed=1)
    np.testing.assert_array_equal(again.h, t.h)


def test_bad_run_input(msi_model, mnist_model):
    with pytest.raises(ValueError, match=r"shape \(trials, steps, 5\)"):
        msi_model.run(np.zeros((2, 3, 4)))
    x = np.zeros((2, 3, 5), dtype=np.float32)
    x[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        msi_model.run(x)
    with pytest.raises(ValueError, match="unknown mode 'fast'"):
        msi_model.run(np.zeros((1, 3, 5)), mode="fast")
    with pytest.raises(ValueError, match="modality"):
        msi_model.run_msi(["smell"], [10])
    with pytest.raises(ValueError, match="not a sequential-MNIST model"):
        msi_model.run_mnist(np.zeros((1, 28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="not an MSI model"):
        mnist_model.evaluate_msi(trials=1)
    with pytest.raises(TypeError, match="uint8"):
        mnist_model.run_mnist(np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match=r"\(count, 28, 28\)"):
        mnist_model.run_mnist(np.zeros((1, 28, 27), dtype=np.uint8))
    with pytest.raises(ValueError, match="trials must be at least 1"):
        msi_model.evaluate_msi(trials=0)
