# SPDX-License-Identifier: MIT
"""The real binary's configuration commands: --show-config, --help, errors."""
import pathlib

import pytest

from conftest import ROOT, run_stockade

FIX = ROOT / "tests" / "unit" / "fixtures" / "config"


def test_show_config_seed_jail2(stockade_bin):
    r = run_stockade("--show-config", "--ini", str(FIX / "seed2-jail2.ini"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["jail2 = path=/jails/001", "jail2 = host.hostname=foobar",
                         "exec-pre-jail = ifconfig em0 192.168.0.40 alias",
                         "jail2 = ip4.addr=192.168.0.40"]
    assert lines[-2:] == ["master = true", "processes = 2"]


@pytest.mark.parametrize("present", [False, True])
def test_show_config_if_not_exists_block(stockade_bin, tmp_path, present):
    if present:
        (tmp_path / "dev").mkdir()
        (tmp_path / "dev" / "zero").write_text("")
    r = run_stockade("--show-config", str(FIX / "seed4-devfs-prejail.ini"),
                     env={"JAIL_ROOT": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    mount = f"exec-pre-jail = mount -t devfs devfs {tmp_path}/dev"
    assert (mount in r.stdout.splitlines()) is not present
    assert r.stdout.splitlines()[1 - present] == f"jail2 = path={tmp_path}"


def test_env_and_cli_order(stockade_bin):
    r = run_stockade("--show-config", "--processes", "3", env={"UWSGI_MASTER": "1"})
    assert r.stdout == "master = true\nprocesses = 3\n"


def test_unknown_cli_option_suggests(stockade_bin):
    r = run_stockade("--jial2", "path=/x")
    assert r.returncode == 1
    assert r.stderr == "command line: unknown option --jial2 (did you mean --jail2?)\n"


def test_ini_typo_is_one_line_error_with_file_line(stockade_bin, tmp_path):
    ini = tmp_path / "typo.ini"
    ini.write_text("[uwsgi]\nmaster = true\njial2 = path=/x\n")
    r = run_stockade("--show-config", "--ini", str(ini))
    assert r.returncode == 1
    assert r.stderr == f"{ini}:3: unknown option 'jial2' (did you mean 'jail2'?)\n"


def test_exit_and_print(stockade_bin, tmp_path):
    ini = tmp_path / "e.ini"
    ini.write_text("[uwsgi]\nprint = hello %n\nexit = 17\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode == 17
    assert r.stdout == "hello e\n"


def test_help_groups_and_version(stockade_bin):
    r = run_stockade("--help")
    assert r.returncode == 0
    for group in ("config:", "logic:", "process:", "socket:", "python:", "jail:", "hooks:"):
        assert f"\n{group}\n" in r.stdout
    assert "--jail2, --libjail VALUE" in r.stdout
    v = run_stockade("--version")
    assert v.stdout.startswith("stockade ")


def test_help_option(stockade_bin):
    r = run_stockade("--help-option", "libjail")
    assert r.returncode == 0 and r.stdout.startswith("--jail2, --libjail VALUE\n")
    r = run_stockade("--help-option", "jial2")
    assert r.returncode == 1 and "did you mean 'jail2'" in r.stderr


@pytest.mark.parametrize("flag,path", [("--options-markdown", "docs/options.md"), ("--options-man", "docs/stockade.1")])
def test_generated_reference_is_current(stockade_bin, flag, path):
    """docs/options.md and the man page come from the option table: `make docs` regenerates them."""
    r = run_stockade(flag)
    assert r.returncode == 0
    assert (ROOT / path).read_text() == r.stdout, f"{path} is stale: run `make docs`"
