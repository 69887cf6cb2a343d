"""Shared fixtures: the real binary, free ports, a running instance."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("STOCKADE_BIN", str(ROOT / "stockade"))


@pytest.fixture(scope="session")
def stockade_bin():
    assert os.access(BIN, os.X_OK), f"build first: {BIN} missing"
    return BIN


def run_stockade(*args, env=None, timeout=20, cwd=None):
    """Runs the binary to completion (config commands, errors)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    if env:
        full_env.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd)
