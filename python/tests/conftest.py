"""Shared fixtures of the Python package's tests: the repository, the build's `sasrnn` program
(SASRNN_CLI, set by the CTest test python.pytest) and the shipped models."""
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(os.environ.get("SASRNN_REPO", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("SASRNN_CLI") or shutil.which("sasrnn")
    if not path:
        pytest.fail("the sasrnn program is needed: set SASRNN_CLI (ctest -R python sets it)")
    return path


@pytest.fixture(scope="session")
def run_cli(cli):
    def run(*args, check=True):
        p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"sasrnn {' '.join(map(str, args))} failed: {p.stderr}")
        return p
    return run


@pytest.fixture(scope="session")
def msi_path():
    return REPO / "models" / "msi_n150.sasrnn"


@pytest.fixture(scope="session")
def mnist_path():
    return REPO / "models" / "mnist_row_n100.sasrnn"


@pytest.fixture(scope="session")
def msi_model(msi_path):
    import sasrnn
    return sasrnn.load(msi_path)


@pytest.fixture(scope="session")
def mnist_model(mnist_path):
    import sasrnn
    return sasrnn.load(mnist_path)
