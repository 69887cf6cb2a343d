# SPDX-License-Identifier: MIT
"""The `uwsgi` Python module through the real binary (issue 22): identity and
control calls, uwsgi.opt, uwsgidecorators' @postfork and @lock, user locks
shared by the workers, log variables in the request log, atexit, the `import`,
`pyargv`, `optimize` and `wsgi-disable-file-wrapper` options, and the calls
Stockade refuses with NotImplementedError. App: apps/uwsgi_api.py."""
import http.client
import json
import os
import signal
import subprocess
import threading

import pytest

from test_nginx import nginx  # noqa: F401 (a fixture)
from conftest import APPS, Instance, children, free_port, get_json, http_request, run_stockade, wait_for


def start(tmp_path, *args, processes=2, ini=None):
    port = free_port()
    base = ["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_api.py"),
            "--master", "--processes", str(processes), "--pythonpath", str(APPS)]
    if ini:
        path = tmp_path / "app.ini"
        path.write_text("[uwsgi]\n" + "\n".join(f"{k} = {v}" for k, v in ini) + "\n")
        base = ["--ini", str(path), *base]
    inst = Instance([*base, *args], port=port, env={"UWSGI_API_OUT": str(tmp_path)})
    return inst, port


def test_import_uwsgi_fails_outside_stockade():
    r = subprocess.run(["python3", "-c", "import uwsgi"], capture_output=True, text=True)
    assert r.returncode != 0 and "No module named 'uwsgi'" in r.stderr


def test_identity_and_opt(tmp_path):
    inst, port = start(tmp_path, "--locks", "2", ini=[("env", "A=1"), ("env", "B=2"),
                                                       ("pyargv", "one  two"), ("vacuum", "true")])
    try:
        i = get_json(port, "/info")
        assert i["numproc"] == 2
        assert i["worker_id"] in (1, 2) and i["mule_id"] == 0
        assert i["masterpid"] == inst.proc.pid
        assert i["loaded_in"] == inst.proc.pid and i["wid_at_load"] == 0   # loaded in the master
        assert i["pid"] in children(inst.proc.pid)
        assert i["hostname"] == os.uname().nodename
        assert i["version"] and i["started_on"] > 0
        assert i["argv"] == ["stockade", "one", "two"]
        assert i["fd_is_socket"] and i["fd_peer_port"] > 0
        assert i["SPOOL_OK"] == -2 and i["i_am_the_spooler"] is None
        assert i["file_wrapper"] and i["optimize"] == 0
        opt = i["opt"]
        # as uWSGI 2.0: bytes values, the last of a repeated key, True for a bare flag
        assert opt["env"] == {"bytes": "B=2"}
        assert opt["vacuum"] == {"bytes": "true"}
        assert opt["master"] is True
        assert opt["locks"] == {"bytes": "2"}
        assert opt["wsgi-file"] == {"bytes": str(APPS / "uwsgi_api.py")}
        # request_id counts this worker's earlier requests; total_requests the instance's
        # (three requests, two workers: one worker answers twice)
        by_worker = {}
        for _ in range(3):
            j = get_json(port, "/info")
            by_worker.setdefault(j["worker_id"], []).append(j)
        twice = next(v for v in by_worker.values() if len(v) >= 2)
        assert twice[1]["request_id"] > twice[0]["request_id"]
        assert twice[1]["total_requests"] > twice[0]["total_requests"]
    finally:
        inst.stop()


def test_postfork_runs_in_each_worker(tmp_path):
    inst, port = start(tmp_path)
    try:
        def marks(kind):
            return sorted(tuple(map(int, p.name.split(".")[1:])) for p in tmp_path.glob(f"{kind}.*"))
        # (worker 2 runs @postfork(2) right after its plain @postfork)
        wait_for(lambda: len(marks("fork")) == 2 and len(marks("only2")) >= 1,
                 what="@postfork in both workers")
        workers = get_json(port, "/workers")
        pids = {w["id"]: w["pid"] for w in workers}
        assert sorted(pids) == [1, 2]
        # @postfork functions ran once in each worker, after the fork, with its id
        assert marks("fork") == sorted(pids.items())
        # @postfork(2) only in worker 2
        assert marks("only2") == [(2, pids[2])]
        assert set(pids.values()) == set(children(inst.proc.pid))
        i = get_json(port, "/info")
        assert i["forks"] == (["fork", "only2"] if i["worker_id"] == 2 else ["fork"])
    finally:
        log = inst.stop()
    # uwsgi.atexit ran in each worker on the way out
    for wid, pid in pids.items():
        path = tmp_path / f"atexit.{pid}"
        assert path.read_text() == str(wid), log


def test_user_locks_are_shared_by_workers(tmp_path):
    inst, port = start(tmp_path, "--locks", "2")
    try:
        assert get_json(port, "/is_locked/1")["locked"] is False
        holder = {}
        t = threading.Thread(target=lambda: holder.update(get_json(port, "/hold/1", timeout=60)))
        t.start()
        wait_for(lambda: (tmp_path / "held.1").exists(), what="lock 1 taken")
        held_by = int((tmp_path / "held.1").read_text())
        # the other worker (the holder is busy) sees lock 1 held, and lock 2 free
        other = get_json(port, "/is_locked/1")
        assert other["pid"] != held_by and other["locked"] is True
        assert get_json(port, "/is_locked/2")["locked"] is False
        (tmp_path / "release.1").write_text("")
        t.join(60)
        assert holder["released"] is True and holder["pid"] == held_by
        assert get_json(port, "/is_locked/1")["locked"] is False
        # uwsgidecorators' @lock holds lock 0 around the call
        assert get_json(port, "/decorated-lock") == {"held_inside": True, "held_after": False}
        assert get_json(port, "/bad-lock")["error"] == "Invalid lock number"
    finally:
        inst.stop()


def test_cache_shared_by_workers(tmp_path):
    inst, port = start(tmp_path, "--cache2", "name=c1,items=11,blocksize=4096,keysize=64")
    try:
        holder = {}
        t = threading.Thread(target=lambda: holder.update(get_json(port, "/hold/0", timeout=60)))
        t.start()
        wait_for(lambda: (tmp_path / "held.0").exists(), what="worker holding")
        held_by = int((tmp_path / "held.0").read_text())
        # the other worker stores; the holder reads it back after its wait
        r = get_json(port, "/cache/set/shared/from-other")
        assert r == {"r": True, "pid": r["pid"]} and r["pid"] != held_by
        (tmp_path / "release.0").write_text("")
        t.join(60)
        assert holder["pid"] == held_by and holder["shared"] == "from-other"

        # set never overwrites, update does; del, exists answer True or None
        assert get_json(port, "/cache/set/shared/again")["r"] is None
        assert get_json(port, "/cache/update/shared/again")["r"] is True
        assert get_json(port, "/cache/get/shared")["r"] == "again"
        assert get_json(port, "/cache/exists/shared")["r"] is True
        assert get_json(port, "/cache/del/shared")["r"] is True
        assert get_json(port, "/cache/del/shared")["r"] is None
        assert get_json(port, "/cache/exists/shared")["r"] is None
        assert get_json(port, "/cache/get/shared")["r"] is None

        # counters: increments from both workers at once are never lost
        def bump():
            for _ in range(100):
                assert get_json(port, "/cache/inc/hits")["r"] is True
        threads = [threading.Thread(target=bump) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert get_json(port, "/cache/num/hits")["r"] == 400
        assert get_json(port, "/cache/dec/hits/150")["r"] is True
        assert get_json(port, "/cache/num/hits")["r"] == 250

        # a value over blocksize is refused (None), logged once
        assert get_json(port, "/cache-big") == {"set": None, "get": None}
        assert get_json(port, "/cache-big") == {"set": None, "get": None}
        wait_for(lambda: "over blocksize 4096" in inst.log(), what="the oversize line")

        # items=11 holds 10 keys: the 11th is refused and logged (uWSGI's FULL line)
        for i in range(9):     # "hits" is the 10th
            assert get_json(port, f"/cache/set/k{i}/v")["r"] is True
        assert get_json(port, "/cache/set/one-too-many/v")["r"] is None
        wait_for(lambda: '*** DANGER cache "c1" is FULL !!! ***' in inst.log(), what="the FULL line")
        assert len(get_json(port, "/cache-keys")) == 10
        assert get_json(port, "/cache/clear/c1")["r"] is True
        assert get_json(port, "/cache-keys") == []
    finally:
        inst.stop()


def test_cache_purge_lru_and_store(tmp_path):
    store = tmp_path / "cache.bin"
    spec = f"name=lru,items=4,blocksize=64,purge_lru=1,store={store}"
    inst, port = start(tmp_path, "--cache2", spec, processes=1)
    try:
        for k in ("a", "b", "c"):
            assert get_json(port, f"/cache/set/{k}/{k}1")["r"] is True
        assert get_json(port, "/cache/get/a")["r"] == "a1"      # "b" is now the oldest
        assert get_json(port, "/cache/set/d/d1")["r"] is True   # evicts "b"
        assert get_json(port, "/cache-keys") == ["a", "c", "d"]
        wait_for(lambda: 'LRU item will be purged from cache "lru"' in inst.log(), what="the LRU line")
    finally:
        inst.stop()
    # the store file keeps the items across a restart
    inst, port = start(tmp_path, "--cache2", spec, processes=1)
    try:
        assert get_json(port, "/cache-keys") == ["a", "c", "d"]
        assert get_json(port, "/cache/get/d")["r"] == "d1"
        wait_for(lambda: "cache \"lru\": 3 items restored from" in inst.log(), what="the restore line")
    finally:
        inst.stop()


def test_cache_bad_specs(tmp_path):
    for spec, msg in [("items=10", "you have to specify a cache name"),
                      ("name=x", "the maximum number of cache items"),
                      ("name=x,items=10,bitmap=1", "key 'bitmap' is not supported by Stockade"),
                      ("name=x,items=ten", "items=ten: not a number"),
                      ("name=x,items=10,blocksize=99999999999999", "too large")]:
        ini = tmp_path / "bad.ini"
        ini.write_text(f"[uwsgi]\ncache2 = {spec}\n")
        r = run_stockade("--ini", str(ini), "--http-socket", f"127.0.0.1:{free_port()}",
                         "--wsgi-file", str(APPS / "uwsgi_api.py"), "--master")
        assert r.returncode != 0 and f"{ini}:2: " in r.stderr and msg in r.stderr, r.stderr


def test_spooled_task_survives_kill9_and_reload(tmp_path):
    spool_dir = tmp_path / "spool"
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_spool.py"),
                     "--master", "--processes", "1", "--spooler", str(spool_dir),
                     "--spooler-frequency", "1"], port=port, env={"UWSGI_API_OUT": str(tmp_path)})

    def started(name):
        return sorted(p.name.split(".")[2] for p in tmp_path.glob(f"started.{name}.*"))
    try:
        assert get_json(port, "/") == {"spoolers": [str(spool_dir)]}
        assert get_json(port, "/raw") == {"error": "spooler callable dictionary must contains only bytes"}
        # a task killed mid-run (kill -9 of its spooler) runs again in the respawned one
        (tmp_path / "block.a").write_text("")
        task = get_json(port, "/spool/a")["file"]
        assert os.path.dirname(task) == str(spool_dir) and os.path.exists(task)
        wait_for(lambda: len(started("a")) == 1, what="task a started")
        first = int(started("a")[0])
        assert (tmp_path / f"started.a.{first}").read_text() == "True"   # i_am_the_spooler()
        os.kill(first, 9)
        wait_for(lambda: len(started("a")) == 2, timeout=60, what="task a started again")
        (tmp_path / "block.a").unlink()
        wait_for(lambda: (tmp_path / "done.a").exists(), timeout=60, what="task a done")
        wait_for(lambda: not os.path.exists(task), what="task a's file removed")
        assert len((tmp_path / "done.a").read_text().split()) == 1

        # a task interrupted by a reload runs again after it
        (tmp_path / "block.b").write_text("")
        get_json(port, "/spool/b")
        wait_for(lambda: len(started("b")) == 1, what="task b started")
        inst.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: len(started("b")) == 2, timeout=60, what="task b started after the reload")
        wait_for(lambda: "gracefully reloading" in inst.log(), what="the reload line")
        (tmp_path / "block.b").unlink()
        wait_for(lambda: (tmp_path / "done.b").exists(), timeout=60, what="task b done")
        assert len((tmp_path / "done.b").read_text().split()) == 1
        assert [p for p in spool_dir.iterdir()] == []
    finally:
        inst.stop()


def test_spool_file_runs_in_uwsgis_spooler(tmp_path):
    """A task written by Stockade is uWSGI's format: uWSGI's own spooler runs it."""
    spool_dir = tmp_path / "spool"
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_spool.py"),
                     "--master", "--processes", "1", "--spooler", str(spool_dir)],
                    port=port, env={"UWSGI_API_OUT": str(tmp_path)})
    try:
        # Stockade's spooler holds the task (blocked) while we copy it
        (tmp_path / "block.c").write_text("")
        task = get_json(port, "/spool/c")["file"]
        data = open(task, "rb").read()
    finally:
        inst.stop()
    assert data[0] == 17 and data[3] == 0 and int.from_bytes(data[1:3], "little") == len(data) - 4
    (tmp_path / "block.c").unlink()
    other = tmp_path / "uwsgi_spool"
    other.mkdir()
    (other / os.path.basename(task)).write_bytes(data)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UWSGI_")}
    env["UWSGI_API_OUT"] = str(tmp_path)
    uw = subprocess.Popen(["uwsgi", "--plugin", "python3", "--master", "--http-socket",
                           f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_spool.py"),
                           "--spooler", str(other), "--spooler-frequency", "1"],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
    try:
        wait_for(lambda: (tmp_path / "done.c").exists(), timeout=60, what="uWSGI running the task")
        wait_for(lambda: list(other.iterdir()) == [], what="uWSGI removing the task")
    finally:
        # the reference server only ran the task: its whole group goes
        os.killpg(uw.pid, signal.SIGKILL)
        uw.wait(30)


def test_mules(tmp_path):
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_mule.py"),
                     "--master", "--processes", "1", f"--mule={APPS / 'uwsgi_mule_prog.py'}",
                     "--mules", "2"], port=port, env={"UWSGI_API_OUT": str(tmp_path)})
    try:
        assert get_json(port, "/get") == {"error": "you can receive mule messages only in a mule !!!",
                                          "mule_id": 0}
        # mule 1 runs the program: it gets what is sent to it
        wait_for(lambda: (tmp_path / "prog.started.1").exists(), what="the mule program")
        assert get_json(port, "/msg/1/hello")["sent"] is True
        wait_for(lambda: (tmp_path / "prog.hello").exists(), what="the program's echo")
        assert (tmp_path / "prog.hello").read_text() == "1"
        # @mulefunc: one mule takes it from the shared queue (the program mule
        # reads that queue too, as in uWSGI); @mulefunc(2) runs on mule 2
        get_json(port, "/call/any")
        wait_for(lambda: list(tmp_path.glob("mulefunc.any.*")) or (tmp_path / "prog.pickle").exists(),
                 what="the mulefunc")
        got = [p.name for p in tmp_path.glob("mulefunc.any.*")]
        assert got in ([], ["mulefunc.any.2"], ["mulefunc.any.3"])
        get_json(port, "/call/two/2")
        wait_for(lambda: (tmp_path / "mulefunc.two.2").exists(), what="the mulefunc on mule 2")
        # a mule killed is respawned by the master and serves again
        pid = int((tmp_path / "mulefunc.two.2").read_text())
        assert pid in children(inst.proc.pid)
        os.kill(pid, 9)
        wait_for(lambda: "mule 2" in inst.log() and pid not in children(inst.proc.pid),
                 what="mule 2 gone")
        get_json(port, "/call/again/2")
        wait_for(lambda: (tmp_path / "mulefunc.again.2").exists(), timeout=60,
                 what="the respawned mule 2")
        assert int((tmp_path / "mulefunc.again.2").read_text()) != pid
    finally:
        inst.stop()


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/proc/self/ns/pid"),
                    reason="needs root and namespaces")
def test_spooler_and_cache_inside_a_jail(tmp_path):
    """The spooler directory, its processes and the cache's shared memory live in the jail."""
    from jailfs import Jailed, Rootfs, jail_name, registry, run
    rootfs = Rootfs(tmp_path)
    name = jail_name()
    port = free_port()
    j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_spool.py"),
                "--master", "--processes", "2", "--jail", f"{rootfs.path} jailhost {name}",
                "--spooler", "/out/spool", "--spooler-frequency", "1",
                "--cache2", "name=jc,items=10,blocksize=64"],
               rootfs=rootfs, port=port, env={"UWSGI_API_OUT": "/out"})
    out = rootfs.path / "out"
    try:
        assert get_json(port, "/") == {"spoolers": ["/out/spool"]}   # the jail's path
        get_json(port, "/spool/j")
        wait_for(lambda: (out / "done.j").exists(), timeout=60, what="the task run in the jail")
        assert (out / "spool").is_dir() and list((out / "spool").iterdir()) == []
        # /out exists only in the jail's root: the spooler made and used it there
        assert not os.path.exists("/out/spool")
        # the counter is shared by both workers (hold-free: just count to 20)
        seen = {get_json(port, "/count")["n"] for _ in range(20)}
        assert seen == set(range(1, 21))
    finally:
        j.stop()
        if registry(name).exists():
            run(["--jail-remove", name])


def test_spool_retry_body_import_max_tasks(tmp_path):
    spool_dir = tmp_path / "spool"
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file",
                     str(APPS / "uwsgi_spool_raw.py"), "--master", "--processes", "1",
                     "--spooler", str(spool_dir), "--spooler-frequency", "1",
                     "--spooler-import", str(APPS / "uwsgi_spooler_import.py"),
                     "--spooler-max-tasks", "1"], port=port, env={"UWSGI_API_OUT": str(tmp_path)})
    try:
        wait_for(lambda: "spooler-import ran, i_am_the_spooler=True" in inst.log(),
                 what="the spooler-import module")
        # SPOOL_RETRY keeps the task: it runs again at a later scan, then SPOOL_OK removes it;
        # the 100000-byte body (over the 64 KiB packet) arrives whole both times
        task = get_json(port, "/spool/r/retry")["file"]
        wait_for(lambda: (tmp_path / "runs.r").exists() and
                 (tmp_path / "runs.r").read_text() == "100000 100000",
                 timeout=60, what="two runs of the retried task")
        wait_for(lambda: not os.path.exists(task), what="the retried task removed")
        # spooler-max-tasks = 1: the spooler is recycled after each task
        wait_for(lambda: "maximum number of tasks reached (1) recycling" in inst.log(),
                 what="the recycling line")
        get_json(port, "/spool/after")
        wait_for(lambda: (tmp_path / "runs.after").exists(), timeout=60,
                 what="a task run by the respawned spooler")
    finally:
        inst.stop()


def test_old_cache_option(tmp_path):
    inst, port = start(tmp_path, "--cache", "3", "--cache-blocksize", "16", processes=1)
    try:
        assert get_json(port, "/cache/set/a/1")["r"] is True
        assert get_json(port, "/cache/set/b/2")["r"] is True
        assert get_json(port, "/cache/set/c/3")["r"] is None          # cache = 3 holds 2
        assert get_json(port, "/cache/update/a/" + "x" * 17)["r"] is None   # over 16 bytes
        assert get_json(port, "/cache/get/a")["r"] == "1"
        assert get_json(port, "/cache-keys") == ["a", "b"]
        wait_for(lambda: '*** DANGER cache "default" is FULL !!! ***' in inst.log(), what="FULL")
    finally:
        inst.stop()


def test_two_mounted_apps_behind_nginx(nginx, tmp_path):
    sock = tmp_path / "app.sock"
    inst = Instance(["--socket", str(sock), "--pythonpath", str(APPS), "--master",
                     "--mount", "/one=uwsgi_mount:one", "--mount", "/two=uwsgi_mount:two",
                     "--manage-script-name", "--processes", "2"], wait=False)
    try:
        wait_for(lambda: sock.exists(), what="the uwsgi socket")
        port = nginx(f"include /etc/nginx/uwsgi_params; uwsgi_pass unix:{sock};")

        def ask(path):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path)
            r = c.getresponse()
            body = json.loads(r.read())
            c.close()
            return body
        # nginx sends PATH_INFO = the URI path and an empty SCRIPT_NAME: Stockade splits it
        assert ask("/one/a/b?x=1") == {"app": "one", "SCRIPT_NAME": "/one", "PATH_INFO": "/a/b"}
        assert ask("/two/") == {"app": "two", "SCRIPT_NAME": "/two", "PATH_INFO": "/"}
        assert ask("/two") == {"app": "two", "SCRIPT_NAME": "/two", "PATH_INFO": ""}
        # not a mountpoint (nor a whole segment of one): the first app, unchanged
        assert ask("/twofold") == {"app": "one", "SCRIPT_NAME": "", "PATH_INFO": "/twofold"}
    finally:
        inst.stop()


def test_mount_without_manage_script_name_keeps_path_info(tmp_path):
    inst, port = start(tmp_path, "--mount", "/two=uwsgi_mount:two", processes=1)
    try:
        # without manage-script-name the path picks nothing: the wsgi-file app (the
        # default) gets /two/x and answers its own 404; /info is still its own
        status, _ = http_request(port, "/two/x")
        assert status == 404
        assert "worker_id" in get_json(port, "/info")
    finally:
        inst.stop()


def test_py_autoreload(tmp_path):
    app = tmp_path / "reloadme.py"
    app.write_text((APPS / "uwsgi_mount.py").read_text() + "\napplication = one\n")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(app), "--master",
                     "--processes", "1", "--py-autoreload", "1"], port=port)
    try:
        assert get_json(port, "/")["app"] == "one"
        wait_for(lambda: "python reloader: watching" in inst.log(), what="the reloader's first scan")
        app.write_text(app.read_text().replace("application = one", "application = two"))
        st = app.stat()
        os.utime(app, (st.st_atime, st.st_mtime + 10))   # a different mtime, whatever the clock
        wait_for(lambda: f"[uwsgi-python-reloader] module/file {app} has been modified" in inst.log(),
                 timeout=60, what="the reloader's line")
        wait_for(lambda: get_json(port, "/")["app"] == "two", timeout=60, what="the reloaded app")
        wait_for(lambda: "gracefully reloading" in inst.log(), what="the reload line")
    finally:
        inst.stop()


def test_logvars_in_request_log(tmp_path):
    log = tmp_path / "req.log"
    inst, port = start(tmp_path, "--logto", str(log),
                       "--log-format", "LINE %(uri) who=%(who) tag=%(tag) none=[%(nope)]")
    try:
        assert get_json(port, "/logvar") == {"who": "bob", "none": None}
        get_json(port, "/info")
        wait_for(lambda: "LINE /info " in log.read_text(), what="the /info line")
        text = log.read_text()
        assert "LINE /logvar who=bob tag=t1 none=[-]" in text
        # variables belong to their request: the next one starts without them
        assert "LINE /info who=- tag=- none=[-]" in text
    finally:
        inst.stop()


def test_log_setprocname_chunked_read(tmp_path):
    inst, port = start(tmp_path, processes=1)
    try:
        assert get_json(port, "/log") == {"ret": True}
        wait_for(lambda: "app says hello via uwsgi.log" in inst.log(), what="the uwsgi.log line")
        assert get_json(port, "/procname") == {"comm": "renamed-wkr"}

        def chunks():
            yield b"hello "
            yield b"chunked "
            yield b"world"
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/chunked", body=chunks(), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked", "Connection": "close"})
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["body"] == "hello chunked world"
        c.close()
    finally:
        inst.stop()


def test_import_pyargv_optimize_file_wrapper(tmp_path):
    inst, port = start(tmp_path, "--import", "uwsgi_api_import", "--optimize", "1",
                       "--wsgi-disable-file-wrapper", "--py-call-osafterfork", processes=1)
    try:
        i = get_json(port, "/info")
        assert i["imported_before"] is True
        assert i["optimize"] == 1 and get_json(port, "/assert") == {"asserts": False}
        assert i["file_wrapper"] is False
        wait_for(lambda: "uwsgi_api_import imported in worker 0" in inst.log(),
                 what="the imported module's line")
    finally:
        inst.stop()


def test_import_of_a_file_and_a_failing_import(tmp_path):
    mod = tmp_path / "early.py"
    mod.write_text("import uwsgi\nuwsgi.log('early.py ran')\n")
    inst, port = start(tmp_path, "--import", str(mod), "--import", "no_such_module_xyz",
                       processes=1)
    try:
        get_json(port, "/info")
        # as uWSGI: a failing import is logged and the app still loads
        wait_for(lambda: "early.py ran" in inst.log(), what="early.py's line")
        wait_for(lambda: "unable to import no_such_module_xyz (import option)" in inst.log() and
                 "ModuleNotFoundError" in inst.log(), what="the failed import's lines")
    finally:
        inst.stop()


@pytest.mark.parametrize("name", ["farm_msg", "rpc"])
def test_unimplemented_calls_say_so(tmp_path, name):
    inst, port = start(tmp_path, processes=1)
    try:
        err = get_json(port, f"/refused/{name}")["error"]
        assert err == f"uwsgi.{name}() is not implemented by Stockade (see docs/python-module.md)"
    finally:
        inst.stop()


def test_reload_and_stop(tmp_path):
    inst, port = start(tmp_path)
    try:
        # both workers of this generation (the socket is bound before they fork)
        old = wait_for(lambda: len(pids := set(children(inst.proc.pid))) == 2 and pids,
                       what="two workers")
        assert get_json(port, "/reload") == {"ret": True}
        wait_for(lambda: "gracefully reloading" in inst.log(), what="the reload")
        # a new generation of workers answers (the master re-executes itself)
        wait_for(lambda: get_json(port, "/info")["pid"] not in old, timeout=60,
                 what="a worker of the new generation")
        assert get_json(port, "/stop") == {"ret": True}
        try:
            wait_for(lambda: inst.proc.poll() is not None, timeout=60, what="the instance stopping")
        except AssertionError:
            raise AssertionError(inst.log())
        assert inst.proc.returncode == 0, inst.log()
    finally:
        inst.stop()
