#!/usr/bin/python3
"""Writes the .npz files the import tests read, with real NumPy (Debian's python3-numpy).

usage: /usr/bin/python3 npz_fixtures.py DIR

A small MSI model (N=12, NIn=5, NOut=2) in every form the importer accepts (np.savez,
np.savez_compressed, float64, Fortran order, big-endian, zip64 records, only the required arrays)
and one file per class of bad input. good_raw.bin holds the nine layer arrays as raw '<f4'
bytes (C order, pi_in m_in xi_in pi_rec m_rec xi_rec pi_out m_out xi_out) for the C++ test.
"""
import os
import sys
import zipfile

import numpy as np

N, NIN, NOUT = 12, 5, 2
LAYERS = ["pi_in", "m_in", "xi_in", "pi_rec", "m_rec", "xi_rec", "pi_out", "m_out", "xi_out"]
DYNAMICS = ["alpha", "tau_ms", "dt_ms", "sigma_rec", "sigma_in", "baseline"]
MSI = ["msi_fixation_ms", "msi_stimulus_ms", "msi_decision_ms", "msi_boundary", "msi_rate_min", "msi_rate_max",
       "msi_target_hi", "msi_target_lo"]


def input_connected(unit, channel, n):
    """MSI wiring (runtime/include/sasrnn/msi.hpp): start cue to all, thirds auditory/visual/none."""
    if channel == 4:
        return True
    g = n // 3
    auditory = channel in (1, 3)
    if unit < g:
        return auditory
    if unit < 2 * g:
        return not auditory
    return False


def good_model():
    rng = np.random.default_rng(7)
    a = {}
    for prefix, shape in (("in", (N, NIN)), ("rec", (N, N)), ("out", (NOUT, N))):
        pi = rng.uniform(0.0, 1.0, shape).astype("<f4")
        pi.flat[::7] = 0.0
        pi.flat[3::11] = 1.0
        m = rng.normal(0.0, 0.3, shape).astype("<f4")
        xi = (0.05 * rng.uniform(0.0, 1.0, shape)).astype("<f4")
        xi.flat[::5] = 0.0
        a["pi_" + prefix], a["m_" + prefix], a["xi_" + prefix] = pi, m, xi
    # values whose bits must survive exactly
    a["m_rec"][0, 0] = np.float32(-0.0)
    a["m_rec"][0, 1] = np.float32(1e-40)  # subnormal
    a["m_rec"][1, 1] = np.float32(0.1)
    a["m_rec"][1, 2] = np.float32(1.8e19)  # absent (pi = 1); its m^2 still finite (load() needs it)
    mask = np.array([[input_connected(i, j, N) for j in range(NIN)] for i in range(N)], dtype=bool)
    for k in ("pi_in", "m_in", "xi_in"):
        a[k][~mask] = 1.0 if k == "pi_in" else 0.0
    a["input_mask"] = mask
    a["alpha"] = np.float32(0.2)
    a["tau_ms"] = np.float32(100.0)
    a["dt_ms"] = np.float32(20.0)
    a["sigma_rec"] = np.float32(0.15)
    a["sigma_in"] = np.float32(0.01)
    a["baseline"] = np.float32(0.2)
    a["readout"] = np.array(2, dtype="<i8")
    a["task"] = np.array(1, dtype="<i8")
    # the MSI task parameters (sasrnn writes all eight); decision 350 ms instead of the default 300
    for k, v in (("fixation_ms", 300.0), ("stimulus_ms", 900.0), ("decision_ms", 350.0), ("boundary", 12.5),
                 ("rate_min", 9.0), ("rate_max", 16.0), ("target_hi", 1.0), ("target_lo", 0.2)):
        a["msi_" + k] = np.float32(v)
    a["name"] = np.array("npz-fixture-\u00e9\U0001F9E0")
    a["provenance_trainer_version"] = np.array("fixture 1.0")
    a["provenance_seed"] = np.array(42, dtype="<u8")
    a["provenance_command"] = np.array("npz_fixtures.py")
    a["provenance_created"] = np.array("2024-01-02T03:04:05Z")
    a["provenance_metric_names"] = np.array(["accuracy", "loss"])
    a["provenance_metric_values"] = np.array([0.9854, 0.0123], dtype="<f8")
    return a


def away_from_zero(x, fraction):
    """float64 values that round to the float32 x: x moved by `fraction` of an ulp away from 0."""
    x = np.asarray(x, dtype="<f4")
    step = np.spacing(np.abs(x)).astype("<f8")
    moved = x.astype("<f8") + np.sign(x).astype("<f8") * fraction * step
    return np.where(x == 0, x.astype("<f8"), moved)  # keeps -0.0


def member_data_offset(path, member):
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = np.frombuffer(f.read(4), dtype="<u2")
    return info.header_offset + 30 + int(name_len) + int(extra_len), info.compress_size


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    good = good_model()

    np.savez(p("good.npz"), **good)
    np.savez_compressed(p("good_compressed.npz"), **good)
    with open(p("good_raw.bin"), "wb") as f:
        for k in LAYERS:
            f.write(np.ascontiguousarray(good[k], dtype="<f4").tobytes())

    f8 = dict(good)
    for k in LAYERS + DYNAMICS + MSI:
        f8[k] = away_from_zero(good[k], 0.4)
    np.savez(p("f8.npz"), **f8)

    fortran = dict(good)
    for k in LAYERS + ["input_mask"]:
        fortran[k] = np.asfortranarray(good[k])
        assert fortran[k].flags.f_contiguous and not fortran[k].flags.c_contiguous
    np.savez(p("fortran.npz"), **fortran)

    big = dict(good)
    for k in LAYERS:
        big[k] = good[k].astype(">f4")
    for k in DYNAMICS:
        big[k] = good[k].astype(">f8")
    big["readout"] = good["readout"].astype(">i8")
    big["input_mask"] = good["input_mask"].astype("|u1")
    big["name"] = good["name"].astype(">U14")
    np.savez_compressed(p("bigendian.npz"), **big)

    limit = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 8  # Python's own zip64 records (central directory extras, zip64 end record)
    try:
        np.savez(p("zip64.npz"), **good)
    finally:
        zipfile.ZIP64_LIMIT = limit

    np.savez(p("minimal.npz"), **{k: good[k] for k in LAYERS + DYNAMICS})
    np.savez(p("msi_defaults.npz"), task=np.array(1), **{k: good[k] for k in LAYERS + DYNAMICS})

    # --- one file per class of bad input -------------------------------------------------------
    def bad(name, **changes):
        a = dict(good)
        for k, v in changes.items():
            if v is None:
                del a[k]
            else:
                a[k] = v
        np.savez(p(name), **a)

    bad("missing.npz", xi_rec=None)
    renamed = dict(good)
    renamed["pi_recurrent"] = renamed.pop("pi_rec")
    np.savez(p("misnamed.npz"), **renamed)
    bad("wrong_shape.npz", pi_rec=good["pi_rec"][:, :11])
    bad("int32.npz", m_rec=good["m_rec"].astype("<i4"))
    bad("complex.npz", m_in=good["m_in"].astype("<c8"))
    bad("object.npz", m_out=good["m_out"].astype(object))
    nan = good["m_rec"].copy()
    nan[3, 4] = np.nan
    bad("nan.npz", m_rec=nan)
    pi = good["pi_rec"].copy()
    pi[2, 5] = 1.5
    bad("pi_range.npz", pi_rec=pi)
    xi = good["xi_out"].copy()
    xi[1, 3] = -0.25
    bad("xi_negative.npz", xi_out=xi)
    huge = good["m_rec"].astype("<f8")
    huge[0, 1] = 1e300
    bad("f8_overflow.npz", m_rec=huge)
    masked = good["pi_in"].copy()
    masked[0, 0] = 0.5  # unit 0 is auditory: channel 0 (visual) is masked
    bad("mask_vs_pi.npz", pi_in=masked)
    bad("bad_readout.npz", readout=np.array(7))
    bad("scalar_shape.npz", alpha=np.array([0.2], dtype="<f4"))
    # six problems at once, all listed in one error: unknown, two missing, a bad dtype, two bad values
    xi_in = good["xi_in"].copy()
    xi_in[0, 4] = -0.5
    pi_out = good["pi_out"].copy()
    pi_out[1, 2] = 1.5
    bad("six_problems.npz", bias=np.zeros(3, dtype="<f4"), xi_rec=None, tau_ms=None,
        m_rec=good["m_rec"].astype("<i4"), xi_in=xi_in, pi_out=pi_out)

    whole = open(p("good.npz"), "rb").read()
    write_bytes(p("truncated.npz"), whole[: len(whole) * 3 // 5])

    # a bad CRC: one byte of pi_rec's stored data changed
    at, size = member_data_offset(p("good.npz"), "pi_rec.npy")
    b = bytearray(whole)
    b[at + size - 1] ^= 0x40
    write_bytes(p("bad_crc.npz"), bytes(b))

    # a corrupt deflate stream: bytes in the middle of pi_rec's compressed data flipped
    compressed = open(p("good_compressed.npz"), "rb").read()
    at, size = member_data_offset(p("good_compressed.npz"), "pi_rec.npy")
    b = bytearray(compressed)
    for k in range(size // 3, size // 3 + 8):
        b[at + k] ^= 0xFF
    write_bytes(p("corrupt_deflate.npz"), bytes(b))

    write_bytes(p("not_a_zip.npz"), b"this is a text file, not a zip archive\n" * 4)
    write_bytes(p("empty.npz"), b"")

    with zipfile.ZipFile(p("bad_npy.npz"), "w") as z:
        for k, v in good.items():
            if k != "pi_rec":
                with z.open(k + ".npy", "w") as f:
                    np.lib.format.write_array(f, np.asanyarray(v))
        z.writestr("pi_rec.npy", b"this is not an npy array")

    print("npz fixtures written to", out)


if __name__ == "__main__":
    main()
