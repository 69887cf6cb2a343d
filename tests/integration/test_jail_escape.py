# SPDX-License-Identifier: MIT
"""Jail escape suite (issue 12): from inside a real Stockade jail, every known
way out must fail, and each check has a positive control that shows the
probe would have noticed success.

The jailed app is a probe (escape_probe.py, copied into the rootfs) that runs
each attack and answers the errno names as JSON. Two jails run for the whole
module: jailed root (uid 0 with the jail's capability set) and a jail that
drops to nobody. The controls run the same probe on the host (root, in a
private mount/UTS namespace; as nobody for the privilege checks), and, where
the host can't be the control, inside the jail itself (binding the jail's
own address, connecting to the jail's own abstract socket). The attack ->
defence -> test table is in docs/jail-privileges.md."""
import ctypes
import errno
import fcntl
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import time
import urllib.parse

import pytest

from conftest import free_port, get_json
from jailfs import Jailed, Rootfs, jail_name, registry, run

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)"),
    pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="needs namespaces"),
]

PYTHON = "/usr/bin/python3"
# the jails' addresses and one that belongs to neither (all on lo: 127/8)
ROOT_IP, NOBODY_IP, FOREIGN_IP = "127.0.66.1", "127.0.66.2", "127.0.66.9"
TTY_IP = "127.0.66.3"
VNET_IP, VNET_HOST_IP = "198.18.66.2", "198.18.66.1"    # the vnet jail's eth0; the host's source
NOBODY = 65534
CAP_DAC_OVERRIDE, CAP_NET_RAW, CAP_SYS_ADMIN = 1, 13, 21



# ---- the module's world: host objects the jails must not reach, and two jails ----------------

WITNESS = r"""
import signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})
out = open(sys.argv[1], "a", buffering=1)
out.write("ready\n")
while True:
    out.write("%d\n" % signal.sigwaitinfo({signal.SIGWINCH}).si_pid)
"""

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
IPC_CREAT, IPC_EXCL, IPC_RMID = 0o1000, 0o2000, 0


def landlock_abi():
    """The kernel's Landlock ABI version (0: none)."""
    v = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))    # LANDLOCK_CREATE_RULESET_VERSION
    return max(v, 0)


def set_file_caps(path, caps):
    """security.capability, struct vfs_cap_data revision 2: effective flag, permitted = caps."""
    os.setxattr(path, "security.capability", struct.pack("<IIIII", 0x02000000 | 1, caps & 0xffffffff, 0,
                                                         caps >> 32, 0))


def host_devices():
    """Host device nodes that root can open here (a sandbox may refuse some)."""
    found = []
    for d in ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/kmsg", "/dev/mem", "/dev/loop0"):
        try:
            os.close(os.open(d, os.O_RDONLY | os.O_NONBLOCK))
            found.append(d)
        except OSError:
            pass
    return found


def wait_listening(j, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if j.proc.poll() is not None:
            raise RuntimeError(f"stockade exited with {j.proc.returncode}: {j.log()}")
        try:
            return get_json(j.port, "/listen?" + j.abstract, timeout=5, host=j.ip)
        except (OSError, AssertionError):
            time.sleep(0.05)
    raise RuntimeError(f"jail {j.name} never answered: {j.log()}")


class Probe:
    """A stockade serving the probe on ip: jailed by args (a jail it creates is named
    name), or not. Use as a context manager: the instance and its jail go at the end."""

    def __init__(self, args, ip, name=None, rootfs=None, wsgi="/app/escape_probe.py", **popen):
        port = free_port()
        self.j = Jailed([*args, "--http-socket", f"{ip}:{port}", "--wsgi-file", wsgi, "--master",
                         "--processes", "1"], rootfs=rootfs, wait=False, **popen)
        self.j.port, self.j.ip, self.j.name = port, ip, name
        self.j.abstract = "stk-escape-" + secrets.token_hex(6)
        self.log = None

    def __enter__(self):
        try:
            wait_listening(self.j)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.log = self.j.stop()
        if self.j.name and registry(self.j.name).exists():
            run(["--jail-remove", self.j.name])

    def ask(self, P, names):
        """The named attacks, made by this probe with the parameters P."""
        q = urllib.parse.quote(json.dumps({**P, "only": names}))
        return get_json(self.j.port, "/attack?" + q, timeout=60, host=self.j.ip)


class World:
    """Everything the suite attacks, created once: a host marker file (random name and
    content) in a directory the jails must not reach, links to it inside the rootfs, a
    host process living in that directory, host SysV IPC objects, a host abstract socket,
    an open directory fd passed down to stockade, a setuid-root and a file-capability
    binary in the rootfs; then the two jails. close() undoes whatever build() got to."""

    def __init__(self):
        self.jails = {}
        self.witness = self.host_listener = self.dirfd = None
        self.shm_id = self.msg_id = self.sem_id = -1
        self.mq_name = None

    def build(self):
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="stk-escape-", dir="/tmp"))
        os.chmod(self.base, 0o755)      # nobody may walk to the marker: only the jail stops it
        self.rootfs = Rootfs(self.base)
        os.chmod(self.rootfs.path, 0o755)
        app = self.rootfs.path / "app"
        shutil.copy(pathlib.Path(__file__).with_name("escape_probe.py"), app / "escape_probe.py")
        self.probe = str(app / "escape_probe.py")
        self.scratch = self.base / "scratch"
        self.scratch.mkdir()

        self.marker_dir = self.base / ("host-" + secrets.token_hex(4))
        self.marker_dir.mkdir(mode=0o755)
        self.marker_name = "marker-" + secrets.token_hex(6)
        self.marker = str(self.marker_dir / self.marker_name)
        self.content = "host secret " + secrets.token_hex(16)
        pathlib.Path(self.marker).write_text(self.content)
        os.chmod(self.marker, 0o644)
        os.symlink(self.marker, app / "link-abs")
        os.symlink("../" * 16 + self.marker.lstrip("/"), app / "link-rel")
        os.symlink("/etc/shadow", app / "link-shadow")

        shutil.copy("/usr/bin/id", app / "suid-id")
        os.chown(app / "suid-id", 0, 0)
        os.chmod(app / "suid-id", 0o4755)
        # DAC_OVERRIDE is in the jail's bounding set: only no_new_privs stops it.
        # SYS_ADMIN is not: the kernel refuses to run a binary whose effective
        # file capabilities it can't grant
        for binary, caps in (("cap-cat-bounded", 1 << CAP_DAC_OVERRIDE),
                             ("cap-cat-admin", 1 << CAP_DAC_OVERRIDE | 1 << CAP_SYS_ADMIN)):
            shutil.copy("/usr/bin/cat", app / binary)
            os.chmod(app / binary, 0o755)
            set_file_caps(str(app / binary), caps)

        self.signals = self.base / "signals"
        self.witness = subprocess.Popen([PYTHON, "-c", WITNESS, str(self.signals)], cwd=self.marker_dir)
        deadline = time.monotonic() + 10
        while not (self.signals.exists() and self.signals.read_text()):
            assert time.monotonic() < deadline and self.witness.poll() is None, "witness did not start"
            time.sleep(0.02)

        self.shm_key, self.msg_key, self.sem_key = (0x57000000 | secrets.randbits(20) for _ in range(3))
        self.shm_id = libc.shmget(self.shm_key, 4096, IPC_CREAT | IPC_EXCL | 0o666)
        self.msg_id = libc.msgget(self.msg_key, IPC_CREAT | IPC_EXCL | 0o666)
        self.sem_id = libc.semget(self.sem_key, 1, IPC_CREAT | IPC_EXCL | 0o666)
        assert min(self.shm_id, self.msg_id, self.sem_id) >= 0, os.strerror(ctypes.get_errno())
        self.mq_name = "/stk-escape-" + secrets.token_hex(6)
        mq = libc.mq_open(self.mq_name.encode(), os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666, None)
        assert mq >= 0, os.strerror(ctypes.get_errno())
        os.close(mq)

        self.abstract_host = "stk-escape-host-" + secrets.token_hex(6)
        self.host_listener = socket.socket(socket.AF_UNIX)
        self.host_listener.bind("\0" + self.abstract_host)
        self.host_listener.listen(8)

        # O_RDONLY|O_DIRECTORY, inheritable through pass_fds: what a careless
        # supervisor hands down
        self.dirfd = os.open(self.marker_dir, os.O_RDONLY | os.O_DIRECTORY)
        self.start_jail("root", ROOT_IP)
        self.start_jail("nobody", NOBODY_IP, "--uid", "nobody", "--gid", "nogroup")

    def start_jail(self, role, ip, *extra):
        name = jail_name()
        probe = Probe(["--jail", f"{self.rootfs.path} esc{role} {name}", "--jail-ip4", ip, *extra], ip, name,
                      self.rootfs, pass_fds=(self.dirfd,))
        self.jails[role] = probe        # stopped by close() even if it never answers
        probe.__enter__()

    def params(self, ip=None, other=None, own=None):
        """The probe's parameters, as seen from inside a jail."""
        disk = next((os.stat(d).st_rdev for d in ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0")
                     if os.path.exists(d)), os.makedev(7, 0))
        return {"root": "", "marker": self.marker, "marker_name": self.marker_name, "content": self.content,
                "host_pid": self.witness.pid, "scratch": "/tmp", "disk": [os.major(disk), os.minor(disk)],
                "devices": host_devices(), "shm_key": self.shm_key, "msg_key": self.msg_key,
                "sem_key": self.sem_key, "mq_name": self.mq_name,
                "foreign_ip": FOREIGN_IP, "own_ip": ip, "abstract_host": self.abstract_host,
                "abstract_other": other, "abstract_own": own}

    def attack(self, who, names=None):
        j = self.jails[who].j
        other = self.jails["nobody" if who == "root" else "root"].j
        return self.jails[who].ask(self.params(j.ip, other.abstract, j.abstract), names)

    def host_control(self, names=None, user=None):
        """The same probe on the host: root in a private mount and UTS namespace (its
        mount, pivot_root and hostname changes stay there), or as `user`."""
        P = {**self.params(FOREIGN_IP, self.jails["root"].j.abstract), "root": str(self.rootfs.path),
             "scratch": str(self.scratch), "host": True}
        argv = [PYTHON, self.probe, json.dumps(P), *(names or [])]
        if user is None:
            argv = ["unshare", "--mount", "--uts", "--propagation", "private", "--", *argv]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, user=user, group=user,
                           cwd="/")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def close(self):
        for probe in self.jails.values():
            probe.__exit__()
        if self.witness:
            self.witness.kill()
            self.witness.wait()
        if self.shm_id >= 0:
            libc.shmctl(self.shm_id, IPC_RMID, None)
        if self.msg_id >= 0:
            libc.msgctl(self.msg_id, IPC_RMID, None)
        if self.sem_id >= 0:
            libc.semctl(self.sem_id, 0, IPC_RMID)
        if self.mq_name:
            libc.mq_unlink(self.mq_name.encode())
        if self.host_listener:
            self.host_listener.close()
        if self.dirfd is not None:
            os.close(self.dirfd)
        if hasattr(self, "base"):
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def world():
    w = World()
    try:
        w.build()
        yield w
    finally:
        w.close()


@pytest.fixture(scope="module")
def results(world):
    """Every attack, once, from each jail."""
    return {role: world.attack(role) for role in ("root", "nobody")}


@pytest.fixture(scope="module")
def control(world):
    """Every attack from the host (root): the probe finds what the jails must not."""
    return world.host_control()


ROLES = ["root", "nobody"]


def assert_jails_running(world):
    for probe in world.jails.values():
        assert probe.j.proc.poll() is None, probe.j.log()


# ---- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_host_file_by_path(results, control, role):
    assert control["host_path"] == "ok"
    assert results[role]["host_path"] == "ENOENT"


@pytest.mark.parametrize("role", ROLES)
def test_dotdot_stops_at_the_jail_root(results, control, role):
    assert control["dotdot"] == {"absolute": "ok", "relative": "ok"}
    assert results[role]["dotdot"] == {"absolute": "ENOENT", "relative": "ENOENT"}


@pytest.mark.parametrize("role", ROLES)
def test_symlinks_resolve_inside_the_jail(results, control, role):
    """/app/link-abs -> the host marker, /app/link-rel -> ../../.. up to it, /app/link-shadow
    -> /etc/shadow: the host follows them out of the rootfs, the jail can't."""
    assert control["symlinks"] == {"absolute": "ok", "relative": "ok", "shadow": "ok"}
    assert results[role]["symlinks"] == {"absolute": "ENOENT", "relative": "ENOENT", "shadow": "ENOENT"}


@pytest.mark.parametrize("role", ROLES)
def test_proc_root_and_cwd_of_other_processes(results, control, role):
    """The witness runs on the host in the marker's directory: /proc/<it>/cwd and /root lead
    there from the host. In the jail its pid doesn't exist, and /proc/1/root (the jail's
    init, which holds capabilities the jail lacks) is refused."""
    assert control["proc_root"]["host_cwd"] == "ok"
    assert control["proc_root"]["host_root"] == "ok"
    assert control["proc_root"]["any_pid"] == "ok"
    got = results[role]["proc_root"]
    assert got["host_cwd"] == "ENOENT" and got["host_root"] == "ENOENT"
    assert got["pid1_root"] == "EACCES"
    assert "ok" not in got["any_pid"].split("/"), got


@pytest.mark.parametrize("role", ROLES)
def test_chroot_escape(results, control, role):
    """chroot(subdir) without chdir, climb with "..", chroot("."): out of any chroot on the
    host; in the jail, the climb ends at the jail's root (pivot_root, old root detached)."""
    assert control["chroot"] == "ok"
    # jailed root keeps CAP_SYS_CHROOT (FreeBSD allows chroot in a jail too)
    assert results[role]["chroot"] == ("ENOENT" if role == "root" else "EPERM")


@pytest.mark.parametrize("role", ROLES)
def test_host_binary_through_proc(results, control, role):
    """The stockade binary and libpython that the jail's processes run are host files. Writing
    to the binary through /proc/<pid>/exe stays refused: the host's monitor runs it for the
    jail's whole life (ETXTBSY), and init's is behind the ptrace check. /proc/self/map_files,
    which opens any mapped file, needs CAP_SYS_ADMIN."""
    assert control["exe"] == {"map_files": "ok"}
    got = results[role]["exe"]
    assert got["map_files"] == "EPERM"
    if role == "root":
        assert (got["exe_self"], got["exe_1"], got["exe_2"]) == ("ETXTBSY", "EACCES", "ETXTBSY")
    else:
        # the file is root's 0755 to begin with
        assert (got["exe_self"], got["exe_1"], got["exe_2"]) == ("EACCES", "EACCES", "EACCES")


@pytest.mark.parametrize("role", ROLES)
def test_open_by_handle_at(results, control, role):
    assert control["open_by_handle"] == "ok"
    assert results[role]["open_by_handle"] == "EPERM"


@pytest.mark.parametrize("role", ROLES)
def test_no_descriptor_from_before_the_jail(world, results, role):
    """The test passes stockade an open directory fd of the marker's directory (pass_fds).
    Inside, the worker holds only its log, sockets and event loop: fchdir/openat/chroot
    through any fd >= 3 reaches nothing."""
    got = results[role]["inherited_fds"]
    assert str(world.dirfd) not in got["fds"] or not got["fds"][str(world.dirfd)].startswith("/"), got
    for fd, target in got["fds"].items():
        assert str(world.base) not in target, (fd, target)
        if int(fd) >= 3:
            assert target.startswith("socket:") or target == "anon_inode:[eventpoll]", (fd, target)
    assert got["escape"] == "ENOTDIR", got


def test_no_descriptor_from_before_jail_attach(world):
    """jail-attach joins the jail from the host: the same fd, passed to the attaching
    stockade, is closed in the attached process too."""
    with Probe(["--jail-attach", world.jails["root"].j.name], ROOT_IP, pass_fds=(world.dirfd,)) as probe:
        got = probe.ask(world.params(ROOT_IP), ["inherited_fds"])["inherited_fds"]
    assert probe.j.proc.returncode == 0, probe.log
    assert not any(str(world.base) in target for target in got["fds"].values()), got
    assert got["escape"] == "ENOTDIR", got


def test_inherited_descriptor_control_without_a_jail(world):
    """Positive control: the same probe served by a stockade without a jail, given the same
    fd, reads the marker through it."""
    with Probe([], "127.0.0.1", wsgi=world.probe, pass_fds=(world.dirfd,)) as probe:
        P = {**world.params(), "root": str(world.rootfs.path)}
        got = probe.ask(P, ["inherited_fds"])["inherited_fds"]
    assert got["fds"][str(world.dirfd)] == str(world.marker_dir)
    assert got["escape"] == "ok"


# ---- processes --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_ptrace(results, control, role):
    assert control["ptrace"] == {"host": "ok"}
    assert results[role]["ptrace"] == {"host": "EPERM", "init": "EPERM"}


@pytest.mark.parametrize("role", ROLES)
def test_signals_to_host_processes(results, control, role):
    assert control["signals"] == {"kill_host": "ok", "pidfd_open_host": "ok"}
    got = results[role]["signals"]
    assert got["kill_host"] == "ESRCH" and got["pidfd_open_host"] == "ESRCH"


def test_kill_minus_one_stays_in_the_jail(world, results):
    """Both jails ran kill(-1, SIGWINCH) (it succeeds: it reaches the jail's own processes).
    The witness logs the sender of every SIGWINCH it gets: the first one must be the test's,
    sent now. SIGWINCH doesn't queue, so a pending one from a jail would be logged instead."""
    assert results["root"]["signals"]["kill_all"] == "ok"
    assert results["nobody"]["signals"]["kill_all"] == "ok"
    os.kill(world.witness.pid, signal.SIGWINCH)
    deadline = time.monotonic() + 10
    while len(world.signals.read_text().split()) < 2:
        assert time.monotonic() < deadline, "the witness never logged the test's signal"
        time.sleep(0.02)
    assert world.signals.read_text().split() == ["ready", str(os.getpid())]
    assert_jails_running(world)


def pty_input(fd):
    """What is waiting in a terminal's input queue (read from its slave side)."""
    os.set_blocking(fd, False)
    got = ""
    while True:             # canonical mode: one line per read
        try:
            chunk = os.read(fd, 4096).decode()
        except BlockingIOError:
            return got
        if not chunk:
            return got
        got += chunk


@pytest.mark.parametrize("how", ["jail", "attach"])
def test_no_input_into_the_host_terminal(world, how):
    """stockade started in the foreground of a terminal (here a pty that is its controlling
    terminal and stdin). TIOCSTI from a process of that session types into the host's shell;
    as nobody on the host the probe does exactly that. The jail (and a jail-attach) runs in
    a session of its own, without a controlling terminal (/dev/tty has nothing to open), and
    a terminal on its stdin is replaced by /dev/null."""
    master, slave = os.openpty()
    try:
        def make_ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        line = "stk-injected-" + secrets.token_hex(4) + "\n"
        probe = [PYTHON, world.probe, json.dumps({"inject": line}), "terminal"]
        r = subprocess.run(probe, stdin=slave, capture_output=True, text=True, timeout=30, user=NOBODY,
                           group=NOBODY, start_new_session=True, preexec_fn=make_ctty)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["terminal"] == {"dev_tty": "ok", "fd0": "ok"}
        assert pty_input(slave) == line * 2, "the control typed its line, twice"

        if how == "jail":
            name = jail_name()
            probe = Probe(["--jail", f"{world.rootfs.path} esctty {name}", "--jail-ip4", TTY_IP], TTY_IP, name,
                          world.rootfs, stdin=slave, start_new_session=True, preexec_fn=make_ctty)
        else:
            probe = Probe(["--jail-attach", world.jails["root"].j.name], ROOT_IP, stdin=slave,
                          start_new_session=True, preexec_fn=make_ctty)
        with probe:
            got = probe.ask({**world.params(probe.j.ip), "inject": line}, ["terminal"])["terminal"]
        # no controlling terminal; stdin, a terminal, is /dev/null inside
        assert got == {"dev_tty": "ENXIO"}
        assert pty_input(slave) == ""
    finally:
        os.close(master)
        os.close(slave)


# ---- kernel objects ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_mount_mknod_pivot_root(results, control, role):
    assert control["mount"] == "ok"
    assert control["mknod"] == {"disk": "ok", "kmsg": "ok"}
    assert control["pivot_root"]["tmpfs"] == "ok"
    got = results[role]
    assert got["mount"] == "EPERM"
    assert got["mknod"] == {"disk": "EPERM", "kmsg": "EPERM"}
    assert got["pivot_root"] == {"tmpfs": "EPERM", "jail_root": "EPERM"}


@pytest.mark.parametrize("role", ROLES)
def test_new_namespaces(results, control, role):
    """unshare() of every namespace type and setns() into /proc/self/ns/*."""
    for key, value in control["namespaces"].items():
        # setns into one's own user namespace is EINVAL even for root
        assert value == ("EINVAL" if key == "setns_user" else "ok"), (key, value)
    got = results[role]["namespaces"]
    assert set(got) == set(control["namespaces"])
    assert all(v == "EPERM" for v in got.values()), got


@pytest.mark.parametrize("role", ROLES)
def test_raw_sockets(results, control, role):
    assert (control["sockets"]["packet"], control["sockets"]["raw_inet"]) == ("ok", "ok")
    got = results[role]["sockets"]
    assert got["packet"] == "EAFNOSUPPORT"       # seccomp: only UNIX/INET/INET6/NETLINK
    assert got["raw_inet"] == "EPERM"


@pytest.mark.parametrize("role", ROLES)
def test_socket_family_allow_list_through_io_uring(results, control, role):
    """IORING_OP_SOCKET makes sockets that seccomp never sees: io_uring made an AF_VSOCK
    socket in the jail although socket(AF_VSOCK) fails there. Now io_uring is refused."""
    if control["sockets"]["vsock"] != "ok":
        pytest.skip("no AF_VSOCK in this kernel")
    assert control["io_uring"] == "ok"
    assert results[role]["sockets"]["vsock"] == "EAFNOSUPPORT"
    assert results[role]["io_uring"] == "ENOSYS"


@pytest.mark.parametrize("role", ROLES)
def test_binding_an_address_outside_the_jail(results, control, role):
    """The jails have one IPv4 address each and say nothing about IPv6: another IPv4
    address, ::1 and the IPv6 wildcard (which would listen on every host address) are
    refused, as on FreeBSD."""
    assert (control["sockets"]["bind_foreign"], control["sockets"]["bind6_loopback"],
            control["sockets"]["bind6_any"]) == ("ok", "ok", "ok")
    got = results[role]["sockets"]
    assert got["bind_own"] == "ok", "the jail's own address binds"
    assert got["bind_foreign"] == "EPERM"
    assert got["bind6_loopback"] == "EPERM" and got["bind6_any"] == "EPERM"


@pytest.mark.parametrize("role", ROLES)
def test_network_configuration(results, control, role):
    assert control["netlink"] == "ok"
    assert results[role]["netlink"] == "EPERM"           # no CAP_NET_ADMIN


@pytest.mark.parametrize("role", ROLES)
def test_hostname_and_proc_sys(results, control, role):
    assert control["hostname"] == {"sethostname": "ok", "proc_sys_hostname": "ok", "proc_sys_global": "ok"}
    assert results[role]["hostname"] == {"sethostname": "EPERM", "proc_sys_hostname": "EROFS",
                                         "proc_sys_global": "EROFS"}


@pytest.mark.parametrize("role", ROLES)
def test_bpf_prog_load(results, control, role):
    assert control["bpf"] == "ok"
    assert results[role]["bpf"] == "EPERM"


@pytest.mark.parametrize("role", ROLES)
def test_host_devices(results, control, role):
    if not control["devices"]:
        pytest.skip("no host device node that root can open here")
    assert set(control["devices"].values()) == {"ok"}
    assert results[role]["devices"] == {d: "ENOENT" for d in control["devices"]}


@pytest.mark.parametrize("role", ROLES)
def test_ipc_objects_of_the_host(results, control, role):
    """A SysV shm segment, message queue and semaphore set with known keys, and a POSIX
    message queue, made by the host."""
    assert control["sysv"] == {"shm": "ok", "msg": "ok", "sem": "ok", "posix_mq": "ok"}
    assert results[role]["sysv"] == {"shm": "ENOENT", "msg": "ENOENT", "sem": "ENOENT", "posix_mq": "ENOENT"}


@pytest.mark.parametrize("role", ROLES)
def test_abstract_unix_sockets(world, results, control, role):
    """The host and each jail listen on a random abstract name. The jails share the host's
    network namespace, so only Landlock's abstract-socket scope (ABI >= 6) separates them;
    without it they are reachable, as docs/jail-networking.md says."""
    assert control["abstract"] == {"abstract_host": "ok", "abstract_other": "ok"}
    got = results[role]["abstract"]
    assert got["abstract_own"] == "ok", "a jail reaches its own abstract sockets"
    if landlock_abi() >= 6:
        assert got["abstract_host"] == "EPERM" and got["abstract_other"] == "EPERM"
    else:
        assert got["abstract_host"] == "ok" and got["abstract_other"] == "ok"
        assert "abstract" in world.jails[role].j.log()


@pytest.fixture
def vnet_host_address():
    """A source address for the host side of a vnet veth (lo has only 127.0.0.1 here). Only
    in the test's own network namespace (scripts/in-netns.sh), never on a real host."""
    if os.environ.get("STOCKADE_IN_NETNS") != "1" or not shutil.which("ip"):
        pytest.skip("needs the test network namespace of scripts/in-netns.sh and ip(8)")
    subprocess.run(["ip", "addr", "replace", VNET_HOST_IP + "/32", "dev", "lo"], check=True)
    yield
    subprocess.run(["ip", "addr", "del", VNET_HOST_IP + "/32", "dev", "lo"], check=False)


def test_abstract_unix_sockets_with_vnet(world, vnet_host_address):
    """A vnet jail has its own network namespace, so its abstract names are its own on every
    kernel: the host's and the other jails' listeners don't exist there."""
    name = jail_name()
    with Probe(["--jail", f"{world.rootfs.path} escvnet {name}", "--jail2", "vnet", "--jail-ip4", VNET_IP],
               VNET_IP, name, world.rootfs) as probe:
        P = world.params(VNET_IP, world.jails["root"].j.abstract, probe.j.abstract)
        got = probe.ask(P, ["abstract"])["abstract"]
        with socket.socket(socket.AF_UNIX) as s:
            host_to_jail = s.connect_ex("\0" + probe.j.abstract)
    assert got == {"abstract_host": "ECONNREFUSED", "abstract_other": "ECONNREFUSED", "abstract_own": "ok"}
    assert host_to_jail == errno.ECONNREFUSED, "nor does the host see the jail's"


# ---- privileges -------------------------------------------------------------------------------


def cap_bits(hexmask):
    return int(hexmask, 16)


def test_no_privileges_back_after_the_uid_drop(world, results):
    """As nobody on the host, the setuid-root id(1) says euid 0 and the capability-laden cat(1)
    holds its capabilities. As nobody in the jail: no_new_privs gives nothing, and the
    bounding set is empty after the uid drop, so a binary asking for any capability
    doesn't even start."""
    host = world.host_control(["privileges"], user=NOBODY)["privileges"]
    assert host["setuid_euid"] == "0"
    assert cap_bits(host["filecap_bounded"]["CapEff"]) == 1 << CAP_DAC_OVERRIDE
    assert cap_bits(host["filecap_admin"]["CapEff"]) & 1 << CAP_SYS_ADMIN
    assert host["setresuid0"] == "EPERM"
    got = results["nobody"]["privileges"]
    assert got["setuid_euid"] == str(NOBODY)
    assert got["filecap_bounded"] == "EPERM"
    assert got["filecap_admin"] == "EPERM"
    assert got["setresuid0"] == "EPERM"


def test_jailed_root_gains_no_capability_by_exec(results):
    got = results["root"]["privileges"]
    assert got["filecap_admin"] == "EPERM"
    eff = cap_bits(got["filecap_bounded"]["CapEff"])
    assert eff & 1 << CAP_DAC_OVERRIDE and not eff & (1 << CAP_SYS_ADMIN | 1 << CAP_NET_RAW)



