"""sasrnn.train: the C++ trainer from Python, configuration as keyword arguments, a progress
callback, the model returned; the same parameters as `sasrnn train` with the same settings."""
import numpy as np
import pytest

import sasrnn


def test_train_equals_sasrnn_train(run_cli, tmp_path):
    seen = []
    model = sasrnn.train("msi", n=12, epochs=4, batch=6, seed=3, callback=seen.append)
    assert [s.epoch for s in seen] == [0, 1, 2, 3] and all(np.isfinite(s.loss) for s in seen)
    assert [h.loss for h in model.training_history] == [s.loss for s in seen]
    assert (model.n, model.n_in, model.n_out, model.task) == (12, 5, 2, "msi")
    assert model.provenance.seed == 3 and "sasrnn.train(task='msi'" in model.provenance.command
    assert model.provenance.metrics["epochs"] == 4
    out = tmp_path / "cli.sasrnn"
    run_cli("train", "--out", out, "--n", 12, "--epochs", 4, "--batch", 6, "--seed", 3, "--eval-trials", 0,
            "--threads", 1)
    cli_model = sasrnn.load(out)
    for name in sasrnn.LAYER_ARRAYS:
        np.testing.assert_array_equal(getattr(model, name), getattr(cli_model, name), err_msg=name)
    # and it runs: the model's own task with the runtime
    assert 0 <= model.evaluate_msi(trials=1).accuracy <= 1


def test_callback_stops_training_and_options_apply():
    model = sasrnn.train("msi", n=6, epochs=50, batch=4, seed=1, optimizer="adam", lr={"m_rec": 0.01},
                         train=["m_rec", "m_out"], precision="double", callback=lambda s: s.epoch < 2)
    assert len(model.training_history) == 3
    start = sasrnn.train("msi", n=6, epochs=0, batch=4, seed=1)
    # only the trained groups moved
    assert not np.array_equal(model.m_rec, start.m_rec)
    np.testing.assert_array_equal(model.xi_rec, start.xi_rec)
    np.testing.assert_array_equal(model.pi_out, start.pi_out)


def test_progress_line(capsys):
    sasrnn.train("msi", n=6, epochs=2, batch=4, progress=True)
    err = capsys.readouterr().err
    assert "sasrnn.train: epoch 1/2" in err and "epoch 2/2" in err


def test_bad_training_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochz'"):
        sasrnn.train("msi", epochz=3)
    with pytest.raises(ValueError, match="unknown task"):
        sasrnn.train("speech")
    with pytest.raises(ValueError, match="unknown group 'm_hidden'"):
        sasrnn.train("msi", n=6, epochs=1, train=["m_hidden"])
    with pytest.raises(ValueError, match="N must be at least 3"):
        sasrnn.train("msi", n=2, epochs=1)
    with pytest.raises(ValueError, match="MNIST|mnist|cannot open"):
        sasrnn.train("mnist-row", epochs=1, mnist_dir="/nonexistent")
    with pytest.raises(ZeroDivisionError):
        sasrnn.train("msi", n=6, epochs=3, batch=4, callback=lambda s: 1 / 0)
