"""The mean-field spike-and-slab RNN (paper eq. 4-5) as a torch.nn.Module, in float64, with the
quenched random numbers as inputs (docs/python.md).

Written from the paper independently of the C++ code, so that PyTorch's autograd is an oracle for
the trainer's analytic gBPTT gradients (paper eq. 6-13, python/tests/test_torch.py) and its
forward pass one for the runtime's MeanField mode. Conventions are the trainer's and the
runtime's (trainer/mean_field.hpp): h(0) = 0; step s reads x(s+1) and r(s) and gives h(s+1),
r(s+1), z(s+1); a standard deviation sqrt(Delta^2) is 0 where Delta^2 = 0 (no gradient there).

    import sasrnn, sasrnn.torch
    net = sasrnn.torch.from_model(sasrnn.load("models/msi_n150.sasrnn"))
    h, r, z = net(x, eps_u, eps_out, noise)       # (T, B, N), (T, B, N), (T, B, NOut)
    sasrnn.torch.mse_loss(z, target, mask).backward()
    model = net.to_model()                        # a sasrnn.Model again
"""

import numpy as np
import torch
from torch import nn

from . import LAYER_ARRAYS, Model

__all__ = ["MeanFieldRNN", "from_model", "mse_loss", "cross_entropy_last"]


def _sd(d2):
    """sqrt(d2) where d2 > 0, else 0 with a zero gradient (the C++ code's convention)."""
    pos = d2 > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, d2, torch.ones_like(d2))), torch.zeros_like(d2))


class MeanFieldRNN(nn.Module):
    """Nine parameters pi_in m_in xi_in (N, NIn), pi_rec m_rec xi_rec (N, N), pi_out m_out xi_out
    (NOut, N), float64; alpha = dt / tau. `meta` keeps a model's other arrays (dynamics, task,
    input mask, name, provenance) for to_model()."""

    def __init__(self, pi_in, m_in, xi_in, pi_rec, m_rec, xi_rec, pi_out, m_out, xi_out, alpha,
                 meta=None):
        super().__init__()
        values = dict(pi_in=pi_in, m_in=m_in, xi_in=xi_in, pi_rec=pi_rec, m_rec=m_rec,
                      xi_rec=xi_rec, pi_out=pi_out, m_out=m_out, xi_out=xi_out)
        for name in LAYER_ARRAYS:
            self.register_parameter(name, nn.Parameter(torch.as_tensor(np.asarray(values[name]),
                                                                       dtype=torch.float64).clone()))
        self.alpha = float(alpha)
        self.meta = dict(meta or {})

    n = property(lambda self: self.pi_rec.shape[0])
    n_in = property(lambda self: self.pi_in.shape[1])
    n_out = property(lambda self: self.pi_out.shape[0])

    @staticmethod
    def moments(pi, m, xi):
        """mu = (1 - pi) m and var = (1 - pi)(xi + pi m^2) = rho - mu^2 (paper eq. 5d-f)."""
        return (1 - pi) * m, (1 - pi) * (xi + pi * m * m)

    def forward(self, x, eps_u, eps_out, noise=None):
        """x (T, B, NIn); eps_u (T, B, N) and eps_out (T, B, NOut) standard normals; noise
        (T, B, N) the recurrent noise sqrt(2 alpha sigma^2) n, or None. Returns h, r (T, B, N)
        and z (T, B, NOut) after each step:
          u = G_in + G_rec + eps_u sqrt(Delta_in^2 + Delta_rec^2)   (eq. 4b, 5a-b, 5d-e)
          h' = (1 - alpha) h + alpha u + noise, r' = relu(h')      (eq. 4a, 4c)
          z' = G_out + eps_out sqrt(Delta_out^2)                   (eq. 4d, 5c, 5f)"""
        x, eps_u, eps_out = (torch.as_tensor(a, dtype=torch.float64) for a in (x, eps_u, eps_out))
        mu_in, var_in = self.moments(self.pi_in, self.m_in, self.xi_in)
        mu_rec, var_rec = self.moments(self.pi_rec, self.m_rec, self.xi_rec)
        mu_out, var_out = self.moments(self.pi_out, self.m_out, self.xi_out)
        T, B = x.shape[0], x.shape[1]
        h = torch.zeros(B, self.n, dtype=torch.float64)
        r = torch.zeros_like(h)
        hs, rs, zs = [], [], []
        for t in range(T):
            g = r @ mu_rec.T + x[t] @ mu_in.T
            d2 = (r * r) @ var_rec.T + (x[t] * x[t]) @ var_in.T
            u = g + eps_u[t] * _sd(d2)
            h = (1 - self.alpha) * h + self.alpha * u
            if noise is not None:
                h = h + torch.as_tensor(noise[t], dtype=torch.float64)
            r = torch.relu(h)
            z = r @ mu_out.T + eps_out[t] * _sd((r * r) @ var_out.T)
            hs.append(h)
            rs.append(r)
            zs.append(z)
        return torch.stack(hs), torch.stack(rs), torch.stack(zs)

    @torch.no_grad()
    def project_(self):
        """The trainer's projection after an update (docs/training.md): pi into [0, 1], Xi >= 0."""
        for name in ("pi_in", "pi_rec", "pi_out"):
            getattr(self, name).clamp_(0.0, 1.0)
        for name in ("xi_in", "xi_rec", "xi_out"):
            getattr(self, name).clamp_(min=0.0)
        return self

    def arrays(self):
        """The nine parameters as float64 NumPy arrays."""
        return {name: getattr(self, name).detach().cpu().numpy().copy() for name in LAYER_ARRAYS}

    def to_model(self):
        """A sasrnn.Model of the parameters (rounded to float32) and the kept metadata, checked
        by the converter (pi outside [0, 1] is a ValueError: see project_())."""
        arrays = dict(self.meta)
        arrays.update(self.arrays())
        arrays["alpha"] = self.alpha
        return Model.from_arrays(arrays)


def from_model(model):
    """A MeanFieldRNN with a sasrnn.Model's hyperparameters (float64) and alpha; the model's other
    arrays are kept for to_model()."""
    arrays = model.arrays()
    layers = {name: arrays.pop(name).astype(np.float64) for name in LAYER_ARRAYS}
    return MeanFieldRNN(alpha=arrays["alpha"], meta=arrays, **layers)


def mse_loss(z, target, mask=None, scale=1.0):
    """The MSI loss: scale * sum over (t, b, k) of mask (z - target)^2."""
    target = torch.as_tensor(target, dtype=torch.float64)
    d = (z - target) ** 2
    if mask is not None:
        d = d * torch.as_tensor(mask, dtype=torch.float64)
    return scale * d.sum()


def cross_entropy_last(z, target, scale=1.0):
    """The sequential-MNIST loss: softmax cross entropy at the last step only,
    -scale * sum_b sum_k target_k log softmax(z(T))_k; target (B, NOut) (one-hot labels)."""
    target = torch.as_tensor(target, dtype=torch.float64)
    zl = z[-1]
    return -scale * (target * torch.log_softmax(zl, dim=1)).sum()
