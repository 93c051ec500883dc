"""sasrnn from Python: spike-and-slab recurrent networks (docs/python.md).

The package is a thin layer over the project's C++ libraries (the extension ``sasrnn._sasrnn``):
models are read and verified by the runtime and written by the converter, trials run on the
runtime's network (on all cores, the GIL released), the MSI and MNIST evaluations are those of
``sasrnn run``, gradients are the trainer's gBPTT (paper eq. 6-13) and training is the trainer.
``sasrnn.torch`` holds the mean-field network (paper eq. 4-5) as a ``torch.nn.Module``.

    import sasrnn
    model = sasrnn.load("models/msi_n150.sasrnn")
    result = model.evaluate_msi(mode="sampled-per-step", trials=100, seed=1)
    print(result.accuracy, result.p_high)
"""

import os
import sys

import numpy as np

from . import _sasrnn
from ._sasrnn import ModelError, __version__, fit_psychometric

__all__ = [
    "Model", "ModelError", "Result", "load", "train", "encoding_names", "load_mnist",
    "fit_psychometric", "gbptt", "MODES", "MODALITIES", "RATES", "GROUPS", "__version__",
]

#: The runtime's modes (paper eq. 4-5, eq. 1 with a network drawn per step or per trial, w = mu).
MODES = ("mean-field", "sampled-per-step", "sampled-per-trial", "mean-weights")
#: MSI modalities, by their number in trial arrays.
MODALITIES = ("visual", "auditory", "both", "catch")
#: MSI event rates of the evaluation set (events per second).
RATES = np.arange(9.0, 17.0, dtype=np.float32)
#: The nine hyperparameter groups, in the trainer's order.
GROUPS = ("m_in", "pi_in", "xi_in", "m_rec", "pi_rec", "xi_rec", "m_out", "pi_out", "xi_out")
#: The arrays of a model's three layers.
LAYER_ARRAYS = ("pi_in", "m_in", "xi_in", "pi_rec", "m_rec", "xi_rec", "pi_out", "m_out", "xi_out")


def encoding_names():
    """The encodings Model.save() and Model.with_encoding() take (docs/encodings.md)."""
    return list(_sasrnn.encoding_names())


class Result(dict):
    """A dict whose keys are also attributes (result.accuracy is result["accuracy"])."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return list(self.keys()) + list(super().__dir__())


def _threads(threads):
    return 0 if threads is None else int(threads)


def _describe(name, value):
    """A value as the converter's named array: (kind, NumPy dtype string, shape, flat values)."""
    a = np.asarray(value)
    k = a.dtype.kind
    shape = [int(d) for d in a.shape]
    if k == "f" and a.dtype.itemsize in (4, 8):
        return ("float", a.dtype.str, shape, a.astype(np.float64).ravel().tolist())
    if k == "b":
        return ("bool", a.dtype.str, shape, a.astype(np.int64).ravel().tolist())
    if k == "i":
        return ("int", a.dtype.str, shape, a.astype(np.int64).ravel().tolist())
    if k == "u":
        return ("uint", a.dtype.str, shape, a.astype(np.uint64).view(np.int64).ravel().tolist())
    if k == "U":
        return ("str", a.dtype.str, shape, [str(s) for s in a.ravel()])
    return ("unsupported", a.dtype.str, shape, [])


def _modalities(modality):
    a = np.asarray(modality)
    if a.dtype.kind == "U":
        out = np.empty(a.shape, dtype=np.int32)
        for i, s in np.ndenumerate(a):
            if s not in MODALITIES:
                raise ValueError(f"unknown modality '{s}' (visual, auditory, both, catch)")
            out[i] = MODALITIES.index(s)
        return out
    return a.astype(np.int32)


class Model:
    """A verified sasrnn model (any encoding). Create with sasrnn.load(), Model.from_arrays() or
    sasrnn.train(); immutable: with_encoding() and replace() return new models."""

    def __init__(self, impl):
        if not isinstance(impl, _sasrnn._Model):
            raise TypeError("use sasrnn.load(), Model.from_arrays() or Model.from_bytes()")
        self._m = impl

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data, source=""):
        """A model from the bytes of a .sasrnn file, verified by the runtime (ModelError)."""
        return cls(_sasrnn._Model.from_bytes(bytes(data), str(source)))

    @classmethod
    def from_arrays(cls, arrays=None, **kwargs):
        """A model from named arrays, the names and layout of an .npz model
        (docs/model-format.md): pi_in m_in xi_in (N, NIn), pi_rec m_rec xi_rec (N, N),
        pi_out m_out xi_out (NOut, N), alpha tau_ms dt_ms sigma_rec sigma_in baseline, and optional
        readout, task, msi_*, input_mask, name, provenance_*. Checked by the converter as
        `sasrnn convert` checks an .npz: every problem of reading the arrays (dtype, shape, unknown
        or missing names) is listed in one ValueError; then the runtime's load() judges the values
        (NaN, pi outside [0, 1], xi < 0, alpha against dt / tau, ...) and the first bad one is named."""
        named = dict(arrays or {})
        named.update(kwargs)
        return cls(_sasrnn._Model.from_arrays({str(k): _describe(k, v) for k, v in named.items()}))

    def replace(self, **arrays):
        """This model with some arrays replaced (same checks as from_arrays)."""
        a = self.arrays()
        a.update(arrays)
        return Model.from_arrays(a)

    # -- contents -----------------------------------------------------------------------------
    def arrays(self):
        """Every array and scalar under its .npz name (copies; float32 layers, float scalars)."""
        return dict(self._m.arrays())

    n = property(lambda self: self._m.n, doc="number of units N")
    n_in = property(lambda self: self._m.n_in, doc="number of inputs NIn")
    n_out = property(lambda self: self._m.n_out, doc="number of outputs NOut")
    name = property(lambda self: self._m.name)
    task = property(lambda self: self._m.task, doc="'msi', 'mnist-row', 'mnist-pixel' or 'none'")
    format_version = property(lambda self: self._m.format_version)
    size_bytes = property(lambda self: self._m.size_bytes, doc="bytes of the .sasrnn file")
    encodings = property(lambda self: self._m.encodings,
                         doc="how the input, recurrent and output layers are stored")
    dynamics = property(lambda self: Result(self._m.dynamics),
                        doc="alpha, tau_ms, dt_ms, sigma_rec, sigma_in, baseline, readout")
    alpha = property(lambda self: self._m.dynamics["alpha"], doc="trained dt / tau")
    provenance = property(lambda self: Result(self._m.provenance),
                          doc="trainer_version, seed (None: unknown), command, created, metrics")

    @property
    def msi(self):
        """The MSI task's parameters (fixation_ms ... target_lo), or None for another task."""
        p = self._m.msi
        return None if p is None else Result(p)

    @property
    def input_mask(self):
        """(N, NIn) bool, True = connected; None if every input is connected."""
        return self._m.arrays().get("input_mask")

    def __getattr__(self, name):
        if name in LAYER_ARRAYS:
            return self._m.arrays()[name]
        raise AttributeError(name)

    def __reduce__(self):  # pickle (e.g. multiprocessing): the .sasrnn bytes
        return (Model.from_bytes, (self.to_bytes(),))

    def __repr__(self):
        return (f"<sasrnn.Model {self.name or '(unnamed)'}: N={self.n} NIn={self.n_in} "
                f"NOut={self.n_out}, task {self.task}, {self.encodings[1]}, {self.size_bytes} bytes>")

    # -- writing ------------------------------------------------------------------------------
    def save(self, path, encoding=None):
        """Writes .sasrnn (in `encoding`, one of encoding_names(); default: the layers' own),
        .npz or .json (f32 values; no encoding), by the extension, atomically."""
        self._m.save(os.fspath(path), encoding)

    def to_bytes(self, encoding=None):
        """The .sasrnn bytes (in `encoding`, default the model's own)."""
        return self._m.to_bytes(encoding)

    def with_encoding(self, encoding):
        """This model stored in `encoding` (e.g. 'compact'), as the runtime reads that file."""
        return Model(self._m.with_encoding(encoding))

    # -- running ------------------------------------------------------------------------------
    def run(self, inputs, mode="mean-field", seed=1, trials=None, recurrent_noise=True,
            alpha=None, record=True, threads=None):
        """Runs trials of given inputs, shape (count, steps, NIn) float32: trial k starts from
        h = 0 as trial index trials[k] (default k; it keys the random draws with the seed).
        Returns decision (count,), y_last (count, NOut) and, with record, the trajectories
        h, r (count, steps, N) and z, y (count, steps, NOut) after each step."""
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        idx = np.arange(x.shape[0], dtype=np.uint32) if trials is None else np.asarray(trials, dtype=np.uint32)
        return Result(self._m.run_inputs(x, idx, mode, int(seed), bool(recurrent_noise),
                                         float(alpha or 0.0), bool(record), _threads(threads)))

    def run_msi(self, modality, rate, index=None, mode="mean-field", seed=1, dt_ms=20.0,
                protocol="test", recurrent_noise=True, input_noise=True, fixation_ms=None,
                stimulus_ms=None, decision_ms=None, record=True, threads=None):
        """Runs MSI trials of given conditions: modality (names or 0 visual, 1 auditory, 2 both,
        3 catch), event rate and trial index (default 0..count-1; it keys the input noise and every
        draw), with the stimuli of msi.hpp and the protocol of `sasrnn run` (test: 500/1000/300 ms,
        or the model's; durations may be overridden). Returns what run() does, plus the inputs x
        (count, steps, 5) with record, and the protocol."""
        mod = np.atleast_1d(_modalities(modality))
        rates = np.broadcast_to(np.asarray(rate, dtype=np.float32), mod.shape)
        idx = np.arange(mod.size, dtype=np.uint32) if index is None else np.asarray(index, dtype=np.uint32)
        return Result(self._m.run_msi_trials(
            mod.ravel(), np.ascontiguousarray(rates).ravel(), np.atleast_1d(idx).ravel(), mode,
            int(seed), float(dt_ms), protocol, bool(recurrent_noise), bool(input_noise),
            -1.0 if fixation_ms is None else float(fixation_ms),
            -1.0 if stimulus_ms is None else float(stimulus_ms),
            -1.0 if decision_ms is None else float(decision_ms), bool(record), _threads(threads)))

    def evaluate_msi(self, mode="mean-field", seed=1, trials=100, dt_ms=20.0, protocol="test",
                     recurrent_noise=True, input_noise=True, fixation_ms=None, stimulus_ms=None,
                     decision_ms=None, threads=None):
        """The MSI evaluation set (3 modalities x 8 rates x `trials` repetitions) exactly as
        `sasrnn run MODEL --trials T --seed S ...` runs it: per-trial decisions, p_high (3, 8),
        high and count, accuracy, modality_accuracy, the psychometric fits (mu, sigma) per
        modality and the protocol."""
        if int(trials) < 1:
            raise ValueError("trials must be at least 1")
        return Result(self._m.evaluate_msi(
            mode, int(seed), int(trials), float(dt_ms), protocol, bool(recurrent_noise),
            bool(input_noise), -1.0 if fixation_ms is None else float(fixation_ms),
            -1.0 if stimulus_ms is None else float(stimulus_ms),
            -1.0 if decision_ms is None else float(decision_ms), _threads(threads)))

    def run_mnist(self, images, mode="mean-field", seed=1, first=0, recurrent_noise=True,
                  record=True, threads=None):
        """Runs MNIST images (count, 28, 28) uint8 as the model's task reads them (rows or
        pixels, / 255); image k runs as trial index first + k (as `sasrnn run` runs test image k
        as trial k). Returns decision, y_last and, with record, h, r, z, y."""
        imgs = np.asarray(images)
        if imgs.dtype != np.uint8:
            raise TypeError(f"images must be uint8 (the idx bytes), not {imgs.dtype}")
        return Result(self._m.run_mnist(np.ascontiguousarray(imgs), int(first), mode, int(seed),
                                        bool(recurrent_noise), bool(record), _threads(threads)))

    def evaluate_mnist(self, images, labels, mode="mean-field", seed=1, recurrent_noise=True,
                       threads=None):
        """accuracy, correct, count and the confusion matrix [label, decision] of images with
        labels, as `sasrnn run` computes them (image k = trial k)."""
        imgs = np.asarray(images)
        if imgs.dtype != np.uint8:
            raise TypeError(f"images must be uint8 (the idx bytes), not {imgs.dtype}")
        return Result(self._m.evaluate_mnist(np.ascontiguousarray(imgs),
                                             np.ascontiguousarray(labels, dtype=np.uint8), mode,
                                             int(seed), bool(recurrent_noise), _threads(threads)))

    def runtime_noise(self, seed, trial, steps, recurrent_noise=True, alpha=None):
        """The random numbers the runtime's mean-field mode draws in trial `trial`: eps_u
        (steps, N) and eps_out (steps, NOut) (paper eq. 4b, 4d) and the recurrent noise
        (steps, N), already scaled by sqrt(2 alpha sigma_rec^2) (eq. 4a)."""
        return Result(self._m.runtime_noise(int(seed), int(trial), int(steps),
                                            bool(recurrent_noise), float(alpha or 0.0)))


def load(source):
    """Reads a model: a path (.sasrnn verified by the runtime; .npz or .json imported and checked
    by the converter), the bytes of a .sasrnn file, or a binary file object. A model the runtime
    refuses raises ModelError (its .status and .message); a missing file FileNotFoundError."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Model.from_bytes(source)
    if hasattr(source, "read"):
        data = source.read()  # a closed file raises ValueError here
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("open the model file in binary mode ('rb')")
        return Model.from_bytes(data, getattr(source, "name", ""))
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load() takes a path, bytes or a binary file, not {type(source).__name__}")
    path = os.fspath(source)
    ext = os.path.splitext(path)[1].lower()
    if ext in (".npz", ".json"):
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
        return Model(_sasrnn._Model.import_file(path))
    with open(path, "rb") as f:
        return Model.from_bytes(f.read(), path)


def load_mnist(split="test", directory=None):
    """The MNIST images (count, 28, 28) uint8 and labels (count,) of a split (train: 55 000,
    validation: 5 000, train-all, test: 10 000) from the idx files of scripts/fetch-mnist
    ($SASRNN_MNIST_DIR or ~/.cache/sasrnn/mnist by default)."""
    return _sasrnn.load_mnist(directory or "", split)


def _columns(a, name):
    """(T, B, K) -> (K, T * B), the trainer's layout (column s * B + b)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f"{name} must have shape (steps, batch, K), not {a.shape}")
    return np.ascontiguousarray(a.transpose(2, 0, 1).reshape(a.shape[2], -1))


def gbptt(params, alpha, x, eps_u, eps_out, noise=None, target=None, mask=None, loss="mse",
          scale=1.0):
    """The C++ trainer's mean-field forward pass (paper eq. 4-5) and gBPTT (eq. 6-13) in double
    precision: params maps the nine arrays (pi_in, m_in, ...) to values; x (T, B, NIn), eps_u and
    noise (T, B, N), eps_out (T, B, NOut) (the quenched random numbers), target and mask
    (T, B, NOut). loss 'mse': scale * sum mask (z - target)^2 over every step; 'cross-entropy':
    -scale * sum_b target(T) . log softmax(z(T)) at the last step only. Returns loss, grads
    (the nine dL/d groups) and h, r, z (T, B, K)."""
    x = np.asarray(x, dtype=np.float64)
    T, B = x.shape[0], x.shape[1]
    p = {k: np.ascontiguousarray(params[k], dtype=np.float64) for k in LAYER_ARRAYS}
    n, n_out = p["pi_rec"].shape[0], p["pi_out"].shape[0]
    if noise is None:
        noise = np.zeros((T, B, n))
    if target is None:
        target = np.zeros((T, B, n_out))
    if mask is None:
        mask = np.ones((T, B, n_out))
    out = _sasrnn.gbptt(p, float(alpha), _columns(x, "x"), _columns(target, "target"),
                        _columns(mask, "mask"), _columns(eps_u, "eps_u"), _columns(eps_out, "eps_out"),
                        _columns(noise, "noise"), int(T), int(B), loss, float(scale))
    back = lambda a: a.reshape(a.shape[0], T, B).transpose(1, 2, 0)
    return Result(loss=out["loss"], grads=dict(out["grads"]), h=back(out["h"]), r=back(out["r"]),
                  z=back(out["z"]))


def train(task="msi", *, callback=None, progress=False, **config):
    """Trains a network with the C++ trainer (mean-field gBPTT, paper eq. 4-13) and returns the
    Model (its .training_history lists every epoch's statistics).

    task: 'msi', 'mnist-row' or 'mnist-pixel'; the task's paper recipe is the default of every
    setting (as `sasrnn train`). config: the trainer's settings as keyword arguments: n, seed,
    epochs, batch, stop ('none', 'mean10', 'authors'), target_loss, stop_from, l2, sigma_rec,
    init_xi, init_xi_in, init_rec_identity, clip, precision ('float', 'double'), chunks, threads,
    optimizer ('adam', 'rmsprop'), lr (a float for the m and Xi groups, or {group: rate}),
    train (the learned groups), decay, decay_every, decay_groups, beta1, beta2, rho, eps,
    catch_fraction, balanced (MSI), mnist_dir, alpha (MNIST).
    callback(stats) is called after every epoch with a dict (epoch, loss, accuracy, seconds,
    sparsities); returning False stops training. progress=True prints a line per epoch (or per
    twentieth of the epochs) to stderr. Ctrl-C stops with KeyboardInterrupt after the epoch."""
    epochs = int(config.get("epochs", 0)) or None
    every = max(1, (epochs or 20) // 20)

    def on_epoch(stats):
        if progress and (stats["epoch"] % every == 0 or stats["epoch"] + 1 == epochs):
            print(f"sasrnn.train: epoch {stats['epoch'] + 1}/{epochs or '?'}  loss {stats['loss']:.5f}"
                  f"  accuracy {stats['accuracy']:.3f}  {stats['seconds']:.2f} s", file=sys.stderr)
        if callback is not None:
            return callback(Result(stats))
        return None

    args = ", ".join([f"task={task!r}"] + [f"{k}={v!r}" for k, v in sorted(config.items())])
    impl, history = _sasrnn.train(task, config, on_epoch, f"python: sasrnn.train({args})")
    model = Model(impl)
    model.training_history = [Result(h) for h in history]
    return model
