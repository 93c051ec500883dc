"""The examples in python/examples run (with few trials) and say what they should."""
import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run(name, *args, cwd):
    p = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)], capture_output=True,
                       text=True, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_psychometric(tmp_path):
    out = run("psychometric.py", "--trials", 4, "--out", tmp_path / "p.png", cwd=tmp_path)
    assert "mean-field: accuracy" in out and "sampled-per-step: accuracy" in out
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_prune_uip(tmp_path):
    out = run("prune_uip.py", "--trials", 4, "--out", tmp_path / "pruned.sasrnn", cwd=tmp_path)
    assert "pruned " in out and "mean-field        accuracy" in out
    import sasrnn
    pruned = sasrnn.load(tmp_path / "pruned.sasrnn")
    assert pruned.encodings[1].startswith("sparse")


def test_export_torch(tmp_path):
    out = run("export_torch.py", "--out", tmp_path / "m.pt", cwd=tmp_path)
    assert "back to .sasrnn: identical bytes" in out
    assert (tmp_path / "m.pt").exists()
