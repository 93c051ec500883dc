"""sasrnn.torch as an independent oracle: PyTorch autograd through the mean-field network (paper
eq. 4-5) against the C++ trainer's analytic gBPTT (eq. 6-13) for all nine groups, both losses;
its forward pass against the runtime's MeanField trajectory; to_model() / from_model()."""
import numpy as np
import pytest
import torch

import sasrnn
import sasrnn.torch as st

# float64 round-off: the two computations sum in different orders, so they differ by a few ulp
# of the largest terms. Measured worst |C++ - autograd| / max |gradient| over a group: 6e-16 to
# 4e-15 in these tests (the shipped models included); 1e-12 leaves a factor of 200 and fails any
# error of the maths (a wrong factor or a missing term is O(1) relative).
RTOL = 1e-12


def random_params(rng, n, ni, no):
    p = {}
    for s, shape in (("in", (n, ni)), ("rec", (n, n)), ("out", (no, n))):
        p["pi_" + s] = rng.uniform(0, 1, shape)
        p["m_" + s] = rng.normal(0, 1 / np.sqrt(shape[1]), shape)
        p["xi_" + s] = rng.uniform(0, 0.05, shape)
    return p


def autograd(params, alpha, x, eps_u, eps_out, noise, target, mask, loss, scale):
    net = st.MeanFieldRNN(alpha=alpha, **params)
    h, r, z = net(x, eps_u, eps_out, noise)
    if loss == "mse":
        L = st.mse_loss(z, target, mask, scale)
    else:
        L = st.cross_entropy_last(z, target[-1], scale)
    L.backward()
    grads = {k: getattr(net, k).grad.numpy() for k in sasrnn.GROUPS}
    return L.item(), grads, (h.detach().numpy(), r.detach().numpy(), z.detach().numpy())


def compare(params, alpha, x, loss, scale, rng, noise_scale=0.1, target=None, mask=None):
    T, B = x.shape[:2]
    n, no = params["pi_rec"].shape[0], params["pi_out"].shape[0]
    eps_u, eps_out = rng.normal(size=(T, B, n)), rng.normal(size=(T, B, no))
    noise = noise_scale * rng.normal(size=(T, B, n))
    if target is None:
        target = rng.uniform(0, 1, (T, B, no))
    if mask is None:
        mask = (rng.uniform(size=(T, B, no)) < 0.7).astype(float)
    if loss == "cross-entropy":  # one-hot labels at the last step, nothing before (the trainer's batch)
        target = np.zeros((T, B, no))
        target[-1, np.arange(B), rng.integers(0, no, B)] = 1
        mask = np.ones((T, B, no))
    cpp = sasrnn.gbptt(params, alpha, x, eps_u, eps_out, noise, target, mask, loss=loss, scale=scale)
    L, grads, (h, r, z) = autograd(params, alpha, x, eps_u, eps_out, noise, target, mask, loss, scale)
    assert cpp.loss == pytest.approx(L, rel=1e-12)
    np.testing.assert_allclose(cpp.h, h, rtol=0, atol=1e-12 * np.abs(h).max())
    np.testing.assert_allclose(cpp.r, r, rtol=0, atol=1e-12 * np.abs(h).max())
    if loss == "mse":
        np.testing.assert_allclose(cpp.z, z, rtol=0, atol=1e-12 * np.abs(z).max())
    else:  # the trainer computes no output before the last step
        np.testing.assert_allclose(cpp.z[-1], z[-1], rtol=0, atol=1e-12 * np.abs(z).max())
    worst = 0.0
    for g in sasrnn.GROUPS:
        ref = grads[g]
        size = np.abs(ref).max()
        err = np.abs(cpp.grads[g] - ref).max()
        assert err <= RTOL * size + 1e-300, f"{g}: |C++ - autograd| = {err:g}, |grad| = {size:g}"
        if size > 0:
            worst = max(worst, err / size)
    return worst


@pytest.mark.parametrize("seed", [1, 2])
def test_gradients_random_model_mse(seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng, 9, 5, 2)
    x = rng.uniform(0, 1.5, (12, 3, 5))
    assert compare(params, 0.2, x, "mse", 1 / 72, rng) < RTOL


@pytest.mark.parametrize("seed", [3, 4])
def test_gradients_random_model_cross_entropy(seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng, 11, 4, 10)
    x = rng.uniform(0, 1, (9, 4, 4))
    assert compare(params, 0.1, x, "cross-entropy", 1 / 4, rng, noise_scale=0.0) < RTOL


def test_gradients_shipped_msi_model_on_msi_trials(msi_model):
    # the trained network, real MSI stimuli (noise included) of four conditions, quenched eps
    rng = np.random.default_rng(5)
    params = {k: v.astype(np.float64) for k, v in msi_model.arrays().items() if k in sasrnn.LAYER_ARRAYS}
    trials = msi_model.run_msi(["visual", "auditory", "both", "catch"], [9, 12, 14, 16], seed=5)
    x = trials.x.transpose(1, 0, 2).astype(np.float64)  # (T, B, 5)
    T, B = x.shape[:2]
    worst = compare(params, msi_model.alpha, x, "mse", 1 / (B * T * 2), rng,
                    noise_scale=np.sqrt(2 * 0.2 * 0.15 ** 2))
    assert worst < RTOL


def test_gradients_shipped_mnist_model_cross_entropy(mnist_model):
    rng = np.random.default_rng(6)
    params = {k: v.astype(np.float64) for k, v in mnist_model.arrays().items() if k in sasrnn.LAYER_ARRAYS}
    images = rng.integers(0, 256, (3, 28, 28)).astype(np.float64) / 255
    x = images.transpose(1, 0, 2)  # rows as steps: (28, 3, 28)
    assert compare(params, mnist_model.alpha, x, "cross-entropy", 1 / 3, rng, noise_scale=0.0) < RTOL


@pytest.mark.parametrize("which", ["msi", "mnist"])
def test_forward_equals_the_runtime_mean_field_trajectory(which, msi_model, mnist_model):
    if which == "msi":
        model, seed, trial = msi_model, 9, 17
        run = model.run_msi(["both"], [13], [trial], seed=seed)
        x = run.x[0].astype(np.float64)
    else:
        model, seed, trial = mnist_model, 4, 2
        image = np.random.default_rng(2).integers(0, 256, (1, 28, 28), dtype=np.uint8)
        run = model.run_mnist(image, seed=seed, first=trial)
        x = (image[0].astype(np.float32) / np.float32(255)).astype(np.float64)
    T = x.shape[0]
    noise = model.runtime_noise(seed, trial, T)
    net = st.from_model(model)
    with torch.no_grad():
        h, r, z = net(x[:, None], noise.eps_u[:, None], noise.eps_out[:, None], noise.noise[:, None])
    # the runtime computes in float32: agreement to float32 round-off of the state's scale
    # (measured: 2.3e-7 of max |h| for the MSI trial, a few float32 ulp)
    scale = np.abs(run.h).max()
    np.testing.assert_allclose(h[:, 0].numpy(), run.h[0], rtol=0, atol=5e-6 * scale)
    np.testing.assert_allclose(z[:, 0].numpy(), run.z[0], rtol=0, atol=5e-6 * max(1, np.abs(run.z).max()))
    assert np.abs(run.h).max() > 0.1  # a real trajectory


def test_to_model_and_from_model(msi_model, tmp_path):
    net = st.from_model(msi_model)
    assert net.n == 150 and net.pi_rec.dtype == torch.float64 and net.alpha == msi_model.alpha
    back = net.to_model()
    assert back.to_bytes() == msi_model.to_bytes()  # float32 -> float64 -> float32 is exact
    with torch.no_grad():
        net.m_out.mul_(2)
        net.pi_rec[0, 0] = 1.2
    with pytest.raises(ValueError, match=r"pi_rec.*expected in \[0, 1\]"):
        net.to_model()
    net.project_()
    changed = net.to_model()
    changed.save(tmp_path / "changed.sasrnn")
    again = sasrnn.load(tmp_path / "changed.sasrnn")
    np.testing.assert_array_equal(again.m_out, (2 * msi_model.m_out.astype(np.float64)).astype(np.float32))
    assert again.pi_rec[0, 0] == 1.0 and again.task == "msi" and again.input_mask is not None


def test_a_pytorch_update_lowers_the_loss(msi_model):
    # one plain gradient step on the MSE of the model's own outputs shifted by 0.1
    rng = np.random.default_rng(8)
    run = msi_model.run_msi(["visual", "both"], [10, 15], seed=8)
    x = run.x.transpose(1, 0, 2)
    T, B = x.shape[:2]
    eps_u, eps_out = rng.normal(size=(T, B, 150)), rng.normal(size=(T, B, 2))
    net = st.from_model(msi_model)
    target = run.z.transpose(1, 0, 2) + 0.1
    loss0 = st.mse_loss(net(x, eps_u, eps_out)[2], target)
    loss0.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 1e-4 * p.grad
    net.project_()
    with torch.no_grad():
        assert st.mse_loss(net(x, eps_u, eps_out)[2], target) < loss0


if __name__ == "__main__":  # the measured agreement of docs/python.md
    import pathlib
    models = pathlib.Path(__file__).resolve().parents[2] / "models"
    msi, mnist = sasrnn.load(models / "msi_n150.sasrnn"), sasrnn.load(models / "mnist_row_n100.sasrnn")
    rng = np.random.default_rng(1)
    print("random N = 9, MSE:", compare(random_params(rng, 9, 5, 2), 0.2, rng.uniform(0, 1.5, (12, 3, 5)),
                                        "mse", 1 / 72, rng))
    rng = np.random.default_rng(3)
    print("random N = 11, cross entropy:", compare(random_params(rng, 11, 4, 10), 0.1, rng.uniform(0, 1, (9, 4, 4)),
                                                   "cross-entropy", 1 / 4, rng, noise_scale=0.0))
    for name, model, case in (("msi_n150, MSE", msi, "msi"), ("mnist_row_n100, cross entropy", mnist, "mnist")):
        rng = np.random.default_rng(5 if case == "msi" else 6)
        params = {k: v.astype(np.float64) for k, v in model.arrays().items() if k in sasrnn.LAYER_ARRAYS}
        if case == "msi":
            x = model.run_msi(["visual", "auditory", "both", "catch"], [9, 12, 14, 16], seed=5).x.transpose(1, 0, 2)
            worst = compare(params, model.alpha, x.astype(np.float64), "mse", 1 / (4 * 90 * 2), rng,
                            noise_scale=np.sqrt(2 * 0.2 * 0.15 ** 2))
        else:
            x = (rng.integers(0, 256, (3, 28, 28)).astype(np.float64) / 255).transpose(1, 0, 2)
            worst = compare(params, model.alpha, x, "cross-entropy", 1 / 3, rng, noise_scale=0.0)
        print(f"{name}:", worst)
    run = msi.run_msi(["both"], [13], [17], seed=9)
    noise = msi.runtime_noise(9, 17, run.x.shape[1])
    with torch.no_grad():
        h = st.from_model(msi)(run.x[0][:, None], noise.eps_u[:, None], noise.eps_out[:, None], noise.noise[:, None])[0]
    print("forward vs runtime MeanField, max |dh| / max |h|:",
          np.abs(h[:, 0].numpy() - run.h[0]).max() / np.abs(run.h).max())
