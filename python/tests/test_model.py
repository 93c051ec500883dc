"""sasrnn.load / Model.save / Model.from_arrays: every encoding, the runtime's verification as
ModelError, the arrays against what `sasrnn convert` writes, and one test per class of bad input."""
import io

import numpy as np
import pytest

import sasrnn


def test_shipped_msi_model_attributes(msi_model):
    m = msi_model
    assert (m.n, m.n_in, m.n_out) == (150, 5, 2)
    assert m.task == "msi" and m.name == "msi_n150" and m.format_version == 1
    assert m.encodings == ("dense f32", "dense f32", "dense f32")
    assert m.size_bytes == 284544  # `sasrnn inspect` prints the same
    d = m.dynamics
    assert d.alpha == pytest.approx(0.2) and d.tau_ms == 100 and d.dt_ms == 20
    assert d.sigma_rec == pytest.approx(0.15) and d.readout == "identity"
    assert m.msi.boundary == 12.5 and m.msi.fixation_ms == 100 and m.msi.target_lo == pytest.approx(0.2)
    p = m.provenance
    assert p.seed == 5 and p.trainer_version.startswith("sasrnn-trainer")
    assert p.metrics["epochs"] == 346
    assert m.pi_rec.shape == (150, 150) and m.pi_rec.dtype == np.float32
    assert m.m_in.shape == (150, 5) and m.xi_out.shape == (2, 150)
    assert m.input_mask.shape == (150, 5) and m.input_mask.dtype == bool
    assert (~m.input_mask).sum() == 400  # "400 of 750 input connections absent"
    assert np.all(m.pi_in[~m.input_mask] == 1.0)
    assert "N=150" in repr(m)


def test_arrays_equal_what_sasrnn_convert_writes(msi_path, run_cli, tmp_path):
    run_cli("convert", msi_path, tmp_path / "m.npz")
    npz = np.load(tmp_path / "m.npz")
    arrays = sasrnn.load(msi_path).arrays()
    for name in sasrnn.LAYER_ARRAYS:
        np.testing.assert_array_equal(arrays[name], npz[name], err_msg=name)
    for name in ("alpha", "tau_ms", "sigma_rec", "msi_boundary"):
        assert np.float32(arrays[name]) == npz[name], name
    assert int(npz["provenance_seed"]) == arrays["provenance_seed"] == 5


def test_npz_and_json_round_trip(msi_model, tmp_path):
    for ext in ("npz", "json"):
        path = tmp_path / f"m.{ext}"
        msi_model.save(path)
        back = sasrnn.load(path)
        for name in sasrnn.LAYER_ARRAYS:
            np.testing.assert_array_equal(getattr(back, name), getattr(msi_model, name))
        assert back.provenance.seed == 5 and back.msi == msi_model.msi


LOSSLESS = ("dense", "dense-moments", "sparse-f32")


@pytest.mark.parametrize("encoding", sasrnn.encoding_names())
def test_save_every_encoding(msi_model, tmp_path, encoding):
    path = tmp_path / f"m_{encoding}.sasrnn"
    msi_model.save(path, encoding=encoding)
    back = sasrnn.load(path)
    assert back.size_bytes == path.stat().st_size
    assert back.to_bytes() == path.read_bytes()
    assert msi_model.with_encoding(encoding).to_bytes() == path.read_bytes()
    if encoding in ("dense", "dense-moments"):
        for name in sasrnn.LAYER_ARRAYS:
            np.testing.assert_array_equal(getattr(back, name), getattr(msi_model, name))
    elif encoding == "sparse-f32":  # absent connections (pi = 1) dropped, every other value exact
        for layer in ("in", "rec", "out"):
            present = getattr(msi_model, "pi_" + layer) < 1
            for k in ("pi", "m", "xi"):
                np.testing.assert_array_equal(getattr(back, f"{k}_{layer}")[present],
                                              getattr(msi_model, f"{k}_{layer}")[present])
    else:  # f16 / 8-bit values: within the value type's resolution
        assert encoding in ("f16", "q8", "compact")
        mu = lambda m: (1 - m.pi_rec.astype(np.float64)) * m.m_rec
        # compact also prunes pi >= 0.9: those means, at most 0.1 |m|, become 0
        tol = 0.1 if encoding == "compact" else 0.02
        np.testing.assert_allclose(mu(back), mu(msi_model), rtol=0, atol=tol * np.abs(mu(msi_model)).max())
    if encoding in LOSSLESS:  # the runtime's results are bit for bit the dense model's
        for mode in ("mean-field", "sampled-per-step"):
            np.testing.assert_array_equal(back.evaluate_msi(mode=mode, trials=1).y_high,
                                          msi_model.evaluate_msi(mode=mode, trials=1).y_high)
    assert back.encodings[1].startswith({"dense": "dense f32", "dense-moments": "dense f32 + moments"}.get(
        encoding, "sparse"))


def test_compact_encoding_matches_the_shipped_file(msi_model, repo):
    # models/msi_n150_compact.sasrnn is `sasrnn convert --encoding compact` of the dense model
    assert msi_model.to_bytes("compact") == (repo / "models" / "msi_n150_compact.sasrnn").read_bytes()


def test_load_bytes_and_file_objects(msi_path, msi_model):
    data = msi_path.read_bytes()
    assert sasrnn.load(data).to_bytes() == data
    with open(msi_path, "rb") as f:
        assert sasrnn.load(f).n == 150
    assert sasrnn.load(io.BytesIO(data)).n == 150


def test_pickle(msi_model):
    import pickle
    assert pickle.loads(pickle.dumps(msi_model)).to_bytes() == msi_model.to_bytes()


# -- a model the runtime refuses: ModelError with its status ------------------------------------

@pytest.mark.parametrize("cut, status", [(lambda b: b[: len(b) // 2], "Corrupt"),
                                         (lambda b: b[:4], "TooSmall"),
                                         (lambda b: b[:4] + b"XXXX" + b[8:], "BadIdentifier")])
def test_model_error_carries_the_runtime_status(msi_path, tmp_path, cut, status):
    path = tmp_path / "bad.sasrnn"
    path.write_bytes(cut(msi_path.read_bytes()))
    with pytest.raises(sasrnn.ModelError) as e:
        sasrnn.load(path)
    assert e.value.status == status
    assert e.value.message in str(e.value) and str(path) in str(e.value)
    assert isinstance(e.value, ValueError) and e.value.code > 0


def crc32c(data):
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written here from its definition."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def checksum_offset(data):
    """Where the checksum field of a .sasrnn buffer lies: Model's 13th field (vtable slot
    4 + 2 * 12), read from the FlatBuffers layout by hand."""
    root = int.from_bytes(data[0:4], "little")
    vtable = root - int.from_bytes(data[root:root + 4], "little", signed=True)
    field = int.from_bytes(data[vtable + 28:vtable + 30], "little")
    assert field != 0, "no checksum field"
    return root + field


def reseal(data):
    """Rewrites the checksum of a .sasrnn buffer in place: CRC-32C of the buffer with the field's
    own 4 bytes as zero (docs/model-format.md)."""
    at = checksum_offset(data)
    data[at:at + 4] = bytes(4)
    data[at:at + 4] = crc32c(bytes(data)).to_bytes(4, "little")


def test_checksum_is_crc32c_of_the_file(msi_path):
    # an independent check of the runtime's checksum: this file's CRC-32C, computed in Python
    data = bytearray(msi_path.read_bytes())
    at = checksum_offset(data)
    stored = int.from_bytes(data[at:at + 4], "little")
    assert stored == crc32c(bytes(data[:at]) + bytes(4) + bytes(data[at + 4:]))


def test_model_error_of_a_bad_value_in_the_file(msi_path):
    # the first pi_rec value (a float32 in place) set to 2: refused by the checksum as it is, and
    # with the checksum rewritten, by the runtime's value check (PiOutOfRange)
    data = bytearray(msi_path.read_bytes())
    m = sasrnn.load(bytes(data))
    first = np.float32(m.pi_rec[0, 0]).tobytes() + np.float32(m.pi_rec[0, 1]).tobytes()
    at = bytes(data).find(first + np.float32(m.pi_rec[0, 2]).tobytes())
    assert at > 0
    data[at:at + 4] = np.float32(2.0).tobytes()
    with pytest.raises(sasrnn.ModelError) as e:
        sasrnn.load(bytes(data))
    assert e.value.status == "ChecksumMismatch"
    reseal(data)
    with pytest.raises(sasrnn.ModelError, match="outside") as e:
        sasrnn.load(bytes(data))
    assert e.value.status == "PiOutOfRange"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        sasrnn.load(tmp_path / "nothing.sasrnn")
    with pytest.raises(FileNotFoundError):
        sasrnn.load(tmp_path / "nothing.npz")


def test_closed_file_and_wrong_types(msi_path):
    f = open(msi_path, "rb")
    f.close()
    with pytest.raises(ValueError, match="closed file"):
        sasrnn.load(f)
    with open(msi_path, "r", encoding="latin-1") as text:
        with pytest.raises(TypeError, match="binary"):
            sasrnn.load(text)
    with pytest.raises(TypeError):
        sasrnn.load(42)


# -- from_arrays: the converter's checks, one test per class -----------------------------------

def test_from_arrays_round_trip(msi_model):
    again = sasrnn.Model.from_arrays(msi_model.arrays())
    assert again.to_bytes() == msi_model.to_bytes()


def test_from_arrays_minimal_and_float64():
    rng = np.random.default_rng(1)
    n, ni, no = 4, 3, 2
    a = {}
    for s, shape in (("in", (n, ni)), ("rec", (n, n)), ("out", (no, n))):
        a["pi_" + s] = rng.uniform(0, 1, shape)  # float64: rounded to float32
        a["m_" + s] = rng.normal(size=shape)
        a["xi_" + s] = rng.uniform(0, 0.1, shape)
    a.update(alpha=0.1, tau_ms=10.0, dt_ms=1.0, sigma_rec=0.0, sigma_in=0.0, baseline=0.0)
    m = sasrnn.Model.from_arrays(a, name="tiny")
    assert (m.n, m.n_in, m.n_out, m.task, m.name) == (4, 3, 2, "none", "tiny")
    np.testing.assert_array_equal(m.m_rec, a["m_rec"].astype(np.float32))
    assert m.provenance.seed is None


def bad(msi_model, **changes):
    with pytest.raises(ValueError) as e:
        msi_model.replace(**changes)
    return str(e.value)


def test_wrong_dtype(msi_model):
    assert "array 'm_rec' has dtype '<f2', expected '<f4' or '<f8'" in bad(
        msi_model, m_rec=msi_model.m_rec.astype(np.float16))
    assert "dtype '<i8'" in bad(msi_model, m_out=np.zeros((2, 150), dtype=np.int64))
    assert "array 'name'" in bad(msi_model, name=np.zeros(3))


def test_wrong_shape(msi_model):
    assert "array 'pi_rec' has shape (150, 149), expected (150, 150)" in bad(
        msi_model, pi_rec=msi_model.pi_rec[:, :149])


def test_nan(msi_model):
    m = msi_model.m_rec.copy()
    m[3, 4] = np.nan
    assert "array 'm_rec' has nan at (3, 4), expected a finite number [NonFinite]" in bad(msi_model, m_rec=m)


def test_pi_outside_unit_interval(msi_model):
    pi = msi_model.pi_out.copy()
    pi[1, 7] = 1.5
    assert "array 'pi_out' has 1.5 at (1, 7), expected in [0, 1] [PiOutOfRange]" in bad(msi_model, pi_out=pi)
    xi = msi_model.xi_rec.copy()
    xi[0, 0] = -1
    assert "array 'xi_rec' has -1 at (0, 0), expected >= 0" in bad(msi_model, xi_rec=xi)


def test_bad_dynamics_and_the_first_bad_value(msi_model):
    assert "alpha is 2, expected 0 < alpha <= 1 [BadDynamics]" in bad(msi_model, alpha=2.0)
    # alpha is judged against dt / tau (load(), kAlphaTolerance): a tau edited alone is refused
    assert "alpha is 0.200000003, expected dt_ms / tau_ms (to a relative 4.8e-07) = 0.100000001 [AlphaMismatch]" in bad(
        msi_model, tau_ms=200.0)
    # values are judged by the runtime's load(), which names the first bad one in its order
    # (input, recurrent, output layer; row by row)
    pi = msi_model.pi_out.copy()
    pi[0, 0] = -1
    xi = msi_model.xi_rec.copy()
    xi[2, 1] = -0.5
    msg = bad(msi_model, pi_out=pi, xi_rec=xi)
    assert msg.endswith("array 'xi_rec' has -0.5 at (2, 1), expected >= 0 [XiNegative]"), msg


def test_unknown_and_missing_arrays(msi_model):
    assert "unknown array 'pi_recc'" in bad(msi_model, pi_recc=msi_model.pi_rec)
    a = msi_model.arrays()
    del a["xi_in"]
    with pytest.raises(ValueError, match="missing array 'xi_in'"):
        sasrnn.Model.from_arrays(a)


def test_masked_input_must_be_absent(msi_model):
    pi = msi_model.pi_in.copy()
    pi[~msi_model.input_mask] = 0.5
    assert "input_mask" in bad(msi_model, pi_in=pi)


def test_bad_encoding_names(msi_model, tmp_path):
    with pytest.raises(ValueError, match="unknown encoding|bogus"):
        msi_model.save(tmp_path / "m.sasrnn", encoding="bogus")
    with pytest.raises(ValueError, match="encoding applies to .sasrnn"):
        msi_model.save(tmp_path / "m.npz", encoding="compact")
    with pytest.raises((ValueError, RuntimeError), match="unknown model format"):
        msi_model.save(tmp_path / "m.txt")


# -- a feedforward stack (format version 3) is not a recurrent model ----------------------------

def test_feedforward_stack_is_refused_with_its_status(msi_path):
    stack = msi_path.parent / "mnist_ff_784_100_100_10.sasrnn"
    with pytest.raises(sasrnn.ModelError) as e:
        sasrnn.load(stack)
    assert e.value.status == "NotRecurrent"
    assert "feedforward stack" in str(e.value)
