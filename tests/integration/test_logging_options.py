# SPDX-License-Identifier: MIT
"""uWSGI's log-master options (issue 19): log-maxsize rotation that loses and
cuts no line across several rotations, loggers (file:, stdio, syslog to a unix
datagram socket the test creates, named loggers reached through log-route),
request loggers through the master (syslog, several at once), logfile-chown,
and the one-line refusals of what Stockade does not support."""
import glob
import os
import pwd
import re
import socket

import pytest

from conftest import APPS, free_port, get, run_stockade, wait_for

LINES = 20000


def ini(work, text):
    path = os.path.join(work, "t.ini")
    with open(path, "w") as f:
        f.write("[uwsgi]\n" + text)
    return path


def script(work, body):
    """A daemon as a script file: the master logs each daemon's command,
    which must not contain the lines the test looks for."""
    path = os.path.join(work, "daemon.sh")
    with open(path, "w") as f:
        f.write(body + "\nexec sleep 600\n")
    return f"sh {path}"


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Syslog:
    """A unix datagram socket standing in for /dev/log."""

    def __init__(self, work):
        self.path = os.path.join(work, "syslog.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.msgs = []

    def drain(self):
        while True:
            try:
                self.msgs.append(self.sock.recv(70000).decode(errors="replace"))
            except BlockingIOError:
                return self.msgs

    def close(self):
        self.sock.close()


# ---- rotation --------------------------------------------------------------------------------


def test_log_maxsize_rotates_without_losing_or_cutting_a_line(work, instances):
    log = os.path.join(work, "app.log")
    port = free_port()
    # two writers at once: a daemon writing LINES lines, and workers logging requests
    inst = instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", "2", "--logto", log, "--log-maxsize", "60000",
                     "--attach-daemon", f"i=0; while [ $i -lt {LINES} ]; do i=$((i+1)); "
                                        f"echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; done; exec sleep 600",
                     port=port)
    for _ in range(50):
        assert get(port, "/pid")[0] == 200

    def all_text():
        return "".join(read(p) for p in sorted(glob.glob(log + "*")))
    wait_for(lambda: f"line-{LINES}-" in all_text(), 60, "the daemon's last line")
    wait_for(lambda: all_text().count("GET /pid") >= 50, 30, "every request line")
    inst.stop()
    files = glob.glob(log + "*")
    assert len(files) >= 5, files    # several rotations happened
    text = all_text()
    got = re.findall(r"^line-(\d+)-(x*)$", text, re.M)
    numbers = [int(n) for n, _ in got]
    assert sorted(numbers) == list(range(1, LINES + 1)), "lost or duplicated lines"
    assert all(len(x) == 24 for _, x in got), "a line was cut"
    # every file but the current one grew past the limit, none by much
    for f in files:
        if f != log:
            assert os.path.getsize(f) > 60000
    assert text.count("GET /pid") == 50


# ---- loggers and routes ------------------------------------------------------------------------


def test_syslog_logger_gets_every_line_with_ident_and_facility(work, instances):
    sl = Syslog(work)
    try:
        inst = instances("--master", "--logger", "syslog:myapp,local3",
                         "--attach-daemon", "echo hello-syslog-$((6*7)); exec sleep 600",
                         env={"STOCKADE_TEST_SYSLOG_SOCKET": sl.path})
        wait_for(lambda: any("hello-syslog-42" in m for m in sl.drain()), what="daemon line in syslog")
        msg = next(m for m in sl.msgs if "hello-syslog-42" in m)
        # local3 (19) * 8 + info (6)
        assert re.match(r"<158>\w{3} [ \d]\d \d\d:\d\d:\d\d myapp\[\d+\]: hello-syslog-42$", msg), msg
        assert any("spawned stockade master" in m for m in sl.msgs), "the master's own lines too"
        log = inst.stop()
        assert "hello-syslog-42" not in log, "an unnamed logger replaces the default output"
    finally:
        sl.close()


def test_systemd_logger_speaks_the_journal_protocol(work, instances):
    journal = Syslog(work)
    try:
        inst = instances("--master", "--logger", "systemd",
                         "--attach-daemon", "echo hello-journal-$((6*7)); exec sleep 600",
                         env={"STOCKADE_TEST_JOURNAL_SOCKET": journal.path})
        wait_for(lambda: "PRIORITY=6\nMESSAGE=hello-journal-42\n" in journal.drain(), what="journal entry")
        inst.stop()
    finally:
        journal.close()


def test_log_route_sends_matching_lines_to_the_named_logger_only(work, instances):
    errs = os.path.join(work, "errs.log")
    rest = os.path.join(work, "rest.log")
    path = ini(work, f"master = true\nlogger = errs file:{errs}\nlogger = file:{rest}\n"
                     "log-route = errs ^ERROR\n"
                     "attach-daemon = " + script(work, "echo ERROR one; echo fine-2; echo ERROR three") + "\n")
    inst = instances("--ini", path)
    wait_for(lambda: "ERROR three" in read(errs) and "fine-2" in read(rest), what="routed lines")
    inst.stop()
    assert read(errs).splitlines() == ["ERROR one", "ERROR three"]
    assert "ERROR" not in read(rest)
    assert "spawned stockade master" in read(rest)


def test_stdio_logger_and_named_logger_as_in_the_corpus(work, instances):
    """`logger = applogger stdio` + `log-route = applogger {` (JSON lines from
    the app) and `logger = default stdio` for the rest, as a published config has."""
    path = ini(work, "master = true\nlogger = applogger stdio\nlogger = default stdio\n"
                     "log-route = applogger {\n"
                     "attach-daemon = " + script(work, "echo '{\"a\": 1}'; echo plain-2") + "\n")
    inst = instances("--ini", path)
    wait_for(lambda: "plain-2" in inst.log() and '{"a": 1}' in inst.log(), what="both lines")
    log = inst.stop()
    assert log.count('{"a": 1}') == 1 and log.count("plain-2\n") == 1, log


def test_lines_without_a_brace_route_as_in_the_corpus(work, instances):
    """`log-route = default ^((?!\\{).)*$` (PCRE's "no '{' in the line"): read as
    the negation of the inner regex."""
    app = os.path.join(work, "app.log")
    other = os.path.join(work, "other.log")
    path = ini(work, f"master = true\nlogger = app file:{app}\nlogger = default file:{other}\n"
                     "log-route = app {\nlog-route = default ^((?!\\{).)*$\n"
                     "attach-daemon = " + script(work, "echo '{\"a\": 1}'; echo plain-2") + "\n")
    inst = instances("--ini", path)
    wait_for(lambda: "plain-2" in read(other) and read(app), what="both routed")
    inst.stop()
    assert read(app).splitlines() == ['{"a": 1}']
    assert "plain-2" in read(other) and "{" not in read(other)


def test_log_encoders_named_and_unnamed(work, instances):
    app = os.path.join(work, "app.log")
    rest = os.path.join(work, "rest.log")
    path = ini(work, f"master = true\nlogger = app file:{app}\nlogger = file:{rest}\n"
                     "log-route = app ^APP\n"
                     "log-encoder = prefix [all]\n"
                     "log-encoder = json:app {\"m\":\"${msg}\"}\n"
                     "log-encoder = nl:app\n"
                     "attach-daemon = " + script(work, "echo 'APP \"one\"'; echo other-2") + "\n")
    inst = instances("--ini", path)
    wait_for(lambda: read(app) and "other-2" in read(rest), what="encoded lines")
    inst.stop()
    assert read(app).splitlines() == ['{"m":"[all]APP \\"one\\""}']
    assert "[all]other-2" in read(rest).splitlines()


def test_log_drain_and_filter(work, instances):
    path = ini(work, "master = true\nlog-filter = ^keep\nlog-drain = drop\n"
                     "attach-daemon = " + script(work, "echo keep-1; echo keep-drop; echo other; echo keep-2") + "\n")
    inst = instances("--ini", path)
    wait_for(lambda: "keep-2" in inst.log(), what="the last kept line")
    log = inst.stop()
    # lines from before the master's loop (the root warning) are not filtered
    assert [x for x in log.splitlines() if not x.startswith("*** WARNING")] == ["keep-1", "keep-2"], log


def test_logfile_chmod(work, instances):
    log = os.path.join(work, "app.log")
    inst = instances("--master", "--logto", log, "--logfile-chmod", "604", "--attach-daemon", "exec sleep 600")
    wait_for(lambda: "spawned" in read(log), what="started")
    assert os.stat(log).st_mode & 0o777 == 0o604
    inst.stop()


def test_request_loggers_through_the_master(work, instances):
    sl = Syslog(work)
    req = os.path.join(work, "req.log")
    port = free_port()
    try:
        inst = instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                         "--master", "--processes", "2", "--req-logger", "syslog:reqs",
                         "--req-logger", f"file:{req}", port=port,
                         env={"STOCKADE_TEST_SYSLOG_SOCKET": sl.path})
        assert get(port, "/pid?marker=abc")[0] == 200
        wait_for(lambda: any("/pid?marker=abc" in m for m in sl.drain()), what="request line in syslog")
        wait_for(lambda: "/pid?marker=abc" in read(req), what="request line in the file")
        log = inst.stop()
        assert "/pid?marker=abc" not in log
        assert any(re.match(r"<30>.* reqs\[\d+\]: .*GET /pid\?marker=abc", m) for m in sl.msgs), sl.msgs
    finally:
        sl.close()


def test_syslog_unreachable_is_said_once(work, instances):
    inst = instances("--master", "--logger", "syslog",
                     "--attach-daemon", "echo a; echo b; exec sleep 600",
                     env={"STOCKADE_TEST_SYSLOG_SOCKET": os.path.join(work, "nobody-here")})
    wait_for(lambda: "lines dropped" in inst.log(), what="the drop notice")
    log = inst.stop()
    assert log.count("lines dropped") == 1, log


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_logfile_chown(work, instances):
    log = os.path.join(work, "app.log")
    nobody = pwd.getpwnam("nobody")
    inst = instances("--master", "--logto", log, "--logfile-chown", "--uid", "nobody",
                     "--attach-daemon", "exec sleep 600")
    wait_for(lambda: "spawned" in read(log), what="started")
    assert os.stat(log).st_uid == nobody.pw_uid
    inst.stop()


@pytest.mark.parametrize("text,expect", [
    ("logger = python\n", "logger: logger 'python' is not supported by Stockade"),
    ("logger = file:\n", "logger: file logger: expected file:PATH"),
    ("logger = syslog:x,nofac\n", "logger: unknown syslog facility 'nofac'"),
    ("logger = a stdio\nlog-route = b x\n", "log-route: no logger named 'b'"),
    ("logger = a stdio\nlog-route = a ^(?!x)\n", "log-route: '^(?!x)' is not a POSIX extended regex"),
    ("req-logger = syslog\nreq-logger = socket:/x\n", "req-logger: logger 'socket' is not supported"),
    ("log-encoder = gzip\n", "log-encoder: unknown encoder 'gzip'"),
    ("log-drain = (?i)x\n", "log-drain: '(?i)x' is not a POSIX extended regex"),
    ("logfile-chmod = 64\n", "logfile-chmod: expected 3 octal digits, got '64'"),
])
def test_bad_loggers_are_refused_with_file_and_line(work, text, expect):
    path = ini(work, "master = true\nhttp-socket = 127.0.0.1:1\n" + text)
    res = run_stockade("--ini", path)
    assert res.returncode != 0
    assert re.search(re.escape(path) + r":\d+: " + re.escape(expect), res.stderr), res.stderr
