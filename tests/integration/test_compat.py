# SPDX-License-Identifier: MIT
"""Real uWSGI configs: no uWSGI option is ever silently ignored.

Each config (../shared/compat/configs, and our own in tests/compat) is resolved
with --show-config. An accepted config must not hold a uWSGI option Stockade
lacks: such a key would have become a placeholder. A refused config must be
refused with one line.
"""
import json
import os
import pathlib
import re

import pytest

from conftest import ROOT, run_stockade

CORPUS = pathlib.Path(os.environ.get("STOCKADE_COMPAT_DIR", ROOT.parent / "shared" / "compat"))
OWN = ROOT / "tests" / "compat"


def uwsgi_names():
    text = (ROOT / "src" / "config" / "uwsgi_names.c").read_text()
    return {n for line in re.findall(r'^\t    "([^"]*)"', text, re.M) for n in line.split()}


def stockade_names():
    out = run_stockade("--help").stdout
    return set(re.findall(r"--([a-z0-9][a-z0-9._-]*)", out))


def config_keys(path):
    """Keys of the [uwsgi] section (ini) or "uwsgi" object (JSON)."""
    if path.suffix == ".json":
        obj = json.loads(path.read_text()).get("uwsgi", {})
        return set(obj)
    keys, in_uwsgi = set(), False
    for line in path.read_text(errors="replace").splitlines():
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            in_uwsgi = s.rstrip("]").lstrip("[").strip() == "uwsgi"
        elif in_uwsgi:
            keys.add(s.split("=", 1)[0].strip())
    return keys


def check(path, uwsgi, known):
    """'accepted' or 'refused'; fails when a uWSGI option was ignored."""
    r = run_stockade("--show-config", str(path), cwd=str(path.parent))
    if r.returncode == 0:
        ignored = sorted(k for k in config_keys(path) if k in uwsgi and k not in known)
        assert not ignored, f"{path.name}: uWSGI options silently ignored: {ignored}"
        return "accepted"
    # warnings (an inline comment in a value) may come first; the refusal is one line
    lines = [x for x in r.stderr.strip().splitlines() if ": warning: " not in x]
    assert len(lines) == 1, f"{path.name}: refused with {len(lines)} lines: {r.stderr}"
    return "refused"


@pytest.fixture(scope="module")
def names(stockade_bin):
    return uwsgi_names(), stockade_names()


def test_corpus_no_uwsgi_option_ignored(names):
    configs = sorted((CORPUS / "configs").glob("*.*")) if CORPUS.is_dir() else []
    if not configs:
        pytest.skip("../shared/compat not present")
    counts = {}
    for path in configs:
        state = check(path, *names)
        counts[state] = counts.get(state, 0) + 1
    print(f"compat corpus: {len(configs)} configs, {counts}")


@pytest.mark.parametrize("name", ["docker-http-socket.ini", "emperor-vassal.ini", "django-nginx.ini"])
def test_own_configs_accepted(names, name):
    assert check(OWN / name, *names) == "accepted"


def test_refusal_names_plugin():
    r = run_stockade("--show-config", "--gevent", "100")
    assert r.returncode == 1
    assert r.stderr.strip() == ("command line: option 'gevent' (uWSGI gevent plugin) "
                                "is not supported by Stockade")
    r = run_stockade("--show-config", "--plugins", "python3,router_static,php")
    assert r.returncode == 1 and "plugin 'php' is not supported by Stockade (built in:" in r.stderr


def test_refusal_in_ini_names_file_and_line(tmp_path):
    ini = tmp_path / "a.ini"
    ini.write_text("[uwsgi]\nmodule = app\nlegion = www 225.1.1.1:4242 98 bf-cbc:secret\n")
    r = run_stockade("--show-config", str(ini))
    assert r.returncode == 1
    assert r.stderr.strip() == f"{ini}:3: option 'legion' (uWSGI core) is not supported by Stockade"


def test_already_so_accepted_and_explained(tmp_path):
    ini = tmp_path / "a.ini"
    ini.write_text("[uwsgi]\ndie-on-term = true\nthunder-lock\nplugins = python3\nmyvar = 1\n")
    r = run_stockade("--show-config", str(ini))
    assert r.returncode == 0, r.stderr
    assert "die-on-term = true" in r.stdout
    r = run_stockade("--help-option", "die-on-term")
    assert r.returncode == 0 and "already so: SIGTERM stops the instance" in r.stdout
    r = run_stockade("--help-option", "gevent")
    assert "uWSGI gevent plugin, not supported by Stockade" in r.stdout
