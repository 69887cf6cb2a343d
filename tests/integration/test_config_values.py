# SPDX-License-Identifier: MIT
"""Values read as uWSGI reads them: inline comments warn (file:line, key) and
are read uWSGI's way; what uWSGI would misread dangerously is refused."""
import shutil
import subprocess

import pytest

from conftest import APPS, Instance, free_port, get_json, run_stockade, wait_for


def test_inline_comments_run_as_uwsgi_reads_them(stockade_bin, tmp_path):
    port = free_port()
    ini = tmp_path / "site.ini"
    ini.write_text("[uwsgi]\n"
                   f"http-socket = 127.0.0.1:{port}\n"
                   f"wsgi-file = {APPS / 'probe.py'}\n"
                   "master = true ; supervise\n"
                   "processes = 2  # two workers\n"
                   "buffer-size = 65536  # max\n")
    inst = Instance(["--ini", str(ini)], port=port)
    try:
        # processes = 2 was read as 2: two workers spawned, no third (which worker
        # answers a request is the kernel's choice, so requests cannot tell)
        wait_for(lambda: "spawned worker 2 " in inst.log(), what="worker 2")
        assert "spawned worker 3 " not in inst.log()
        assert get_json(port, "/pid")["pid"] > 0
        # a 40 kB header fits a 65536-byte buffer, not the 4096 default
        env = get_json(port, "/environ", headers={"X-Big": "x" * 40000})
        assert len(env["HTTP_X_BIG"]) == 40000
    finally:
        log = inst.stop()
    assert f"{ini}:4: warning: option 'master': 'true ; supervise' carries an inline comment" in log
    assert f"{ini}:5: warning: option 'processes': '2  # two workers' carries an inline comment " \
           "(uWSGI has none): read as 2" in log
    assert f"{ini}:6: warning: option 'buffer-size'" in log


def test_show_config_prints_values_as_read(stockade_bin, tmp_path):
    ini = tmp_path / "v.ini"
    ini.write_text("[uwsgi]\nvacuum = true ; delete sockets\nlisten = 128 # backlog\n"
                   "enable-threads = enabled\nw = 3\nprocesses = %(w * 2 ++)\n")
    r = run_stockade("--show-config", "--ini", str(ini))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "vacuum = true\nlisten = 128\nenable-threads = true\nprocesses = 7\n"
    assert len(r.stderr.splitlines()) == 3
    assert f"{ini}:4: warning: option 'enable-threads': 'enabled' is not a boolean word: " \
           "read as true, as uWSGI does" in r.stderr


def test_false_with_a_comment_is_refused(stockade_bin, tmp_path):
    # uWSGI reads "false ; ..." as true: the opposite of the line
    ini = tmp_path / "f.ini"
    ini.write_text("[uwsgi]\nhttp-socket = 127.0.0.1:9\nlazy-apps = false ; load once\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode == 1
    assert r.stderr == (f"{ini}:3: option 'lazy-apps': 'false ; load once' starts with 'false' but "
                        "uWSGI reads it as true (uWSGI has no inline comments): remove the text after it\n")


def test_unset_variable_in_an_integer_is_refused(stockade_bin, tmp_path):
    ini = tmp_path / "h.ini"
    ini.write_text("[uwsgi]\nharakiri = $(STOCKADE_TEST_UNSET_HARAKIRI)\n")
    r = run_stockade("--show-config", "--ini", str(ini))
    assert r.returncode == 1
    assert r.stderr == (f"{ini}:2: option 'harakiri': '$(STOCKADE_TEST_UNSET_HARAKIRI)' is not a "
                        "non-negative integer (uWSGI would read 0, which turns a limit off and leaves processes no worker)\n")
    r = run_stockade("--show-config", "--ini", str(ini), env={"STOCKADE_TEST_UNSET_HARAKIRI": "30"})
    assert r.returncode == 0 and r.stdout == "harakiri = 30\n", r.stderr


def test_unit_suffix_is_refused(stockade_bin):
    r = run_stockade("--limit-post", "10M")
    assert r.returncode == 1
    assert r.stderr == ("command line: option 'limit-post': '10M': uWSGI would read only its leading "
                        "digits (64k as 64): write the whole number, no unit or decimals\n")


@pytest.mark.skipif(not shutil.which("uwsgi"), reason="Debian's uwsgi is not installed")
def test_uwsgi_reads_the_same(stockade_bin, tmp_path):
    """The readings above are uWSGI's: its --show-config keeps the text and
    its %() pipeline gives the same numbers."""
    ini = tmp_path / "u.ini"
    ini.write_text("[uwsgi]\np = 2\nc = 8\nenv = A=%(p c + 2)\nenv = B=%(1 + 2 3)\n"
                   "w = 4 ; four\nenv = D=%(w * 2)\n")
    mine = run_stockade("--show-config", "--ini", str(ini))
    assert mine.returncode == 0, mine.stderr
    theirs = subprocess.run(["uwsgi", "--ini", str(ini), "--show-config"], capture_output=True,
                            text=True, timeout=20)
    for line in ("env = A=30", "env = B=33", "env = D=8"):
        assert line in mine.stdout.splitlines()
        assert line in (theirs.stdout + theirs.stderr).splitlines()   # uWSGI prints to stderr
