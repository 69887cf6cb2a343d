# SPDX-License-Identifier: MIT
"""Jail escape probe (copied into the rootfs by tests/integration/test_jail_escape.py).

Every attack returns "ok" when it worked (so the jail failed), or the errno
name (EPERM, ENOENT, ...) of the step that stopped it, or a short word when
the attack ran but reached nothing of the host. Attacks that change the
process (chroot, unshare, setns, ptrace, fchdir) run in a forked child, so
the worker stays as it was.

Served as a WSGI app inside a jail: GET /attack?<url-quoted JSON params>
answers {name: result}; GET /listen?<name> keeps an abstract unix socket
listening in this worker. Run as a script for the host-side controls:
python3 escape_probe.py '<JSON params>' [name ...]
"""
import ctypes
import errno
import fcntl
import json
import mmap
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import termios
import urllib.parse

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]

CLONE = {"user": 0x10000000, "mnt": 0x00020000, "net": 0x40000000, "pid": 0x20000000,
         "ipc": 0x08000000, "uts": 0x04000000, "cgroup": 0x02000000, "time": 0x00000080}
SYS_pivot_root, SYS_bpf, SYS_pidfd_open, SYS_open_by_handle_at, SYS_name_to_handle_at = 155, 321, 434, 304, 303
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
listeners = {}


def ename(e):
    return errno.errorcode.get(e, str(e))


def check(r):
    """A libc/syscall return value: raises OSError(errno) when negative."""
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def sys_ok(r):
    """A libc/syscall return that only signals success: None, or OSError."""
    check(r)


def run(fn, *args):
    try:
        r = fn(*args)
    except OSError as e:
        return ename(e.errno)
    return "ok" if r is None else r


def forked(fn, *args):
    """run(fn) in a child; its answer comes back over a pipe."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            os.write(wr, json.dumps(run(fn, *args)).encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = b""
    while True:
        chunk = os.read(rd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    os.waitpid(pid, 0)
    return json.loads(data) if data else "child died"


def read_marker(path, P, dir_fd=None):
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        data = os.read(fd, 4096).decode(errors="replace")
    finally:
        os.close(fd)
    return None if data == P["content"] else "another file"


# ---- paths ----------------------------------------------------------------------------------

def a_host_path(P):
    return run(read_marker, P["marker"], P)


def a_dotdot(P):
    def go():
        os.chdir(P["root"] + "/")
        return read_marker("../" * 16 + P["marker"].lstrip("/"), P)
    return {"absolute": run(read_marker, P["root"] + "/.." * 16 + P["marker"], P), "relative": forked(go)}


def a_symlinks(P):
    app = P["root"] + "/app/"
    return {"absolute": run(read_marker, app + "link-abs", P), "relative": run(read_marker, app + "link-rel", P),
            "shadow": run(lambda: open(app + "link-shadow").close())}


def a_proc_root(P):
    """/proc/<pid>/root and /cwd of every visible process and of the host helper."""
    res = {"pid1_root": run(read_marker, "/proc/1/root" + P["marker"], P),
           "host_cwd": run(read_marker, "/proc/%d/cwd/%s" % (P["host_pid"], P["marker_name"]), P),
           "host_root": run(read_marker, "/proc/%d/root%s" % (P["host_pid"], P["marker"]), P)}
    others = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            others.add(run(read_marker, "/proc/%s/root%s" % (p, P["marker"]), P))
            others.add(run(read_marker, "/proc/%s/cwd/%s" % (p, P["marker_name"]), P))
    res["any_pid"] = "ok" if "ok" in others else "/".join(sorted(others))
    return res


def a_exe(P):
    """/proc/<pid>/exe is the host's stockade binary even when the rootfs doesn't hold it;
    /proc/self/map_files/ opens any mapped file (the host's libpython) by its mapping.
    Opened for writing (never written), they would let the jail replace what host root
    runs."""
    def open_mapped():
        with open("/proc/self/maps") as f:
            first = next(line for line in f if line.split()[4] != "0")      # inode: a file
        start, end = (int(a, 16) for a in first.split()[0].split("-"))     # maps pads, map_files not
        os.close(os.open("/proc/self/map_files/%x-%x" % (start, end), os.O_RDONLY))
    res = {"map_files": run(open_mapped)}
    if not P.get("host"):
        for pid in ("self", "1", str(os.getppid())):
            res["exe_" + pid] = run(lambda: os.close(os.open("/proc/%s/exe" % pid, os.O_WRONLY)))
    return res


def a_chroot(P):
    """The classic escape: chroot into a subdirectory without chdir, climb, chroot(".")."""
    def go():
        d = P["scratch"] + "/chroot-escape"
        os.makedirs(d, exist_ok=True)
        os.chroot(d)
        for _ in range(32):
            os.chdir("..")
        os.chroot(".")
        return read_marker(P["marker"], P)
    return forked(go)


def a_inherited_fds(P):
    """Every fd >= 3: what it is, and whether fchdir/openat through it reaches the marker."""
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[name] = os.readlink("/proc/self/fd/" + name)
        except OSError:
            pass
    results = set()
    for name in fds:
        fd = int(name)
        if fd < 3:
            continue
        results.add(run(read_marker, P["marker_name"], P, fd))

        def go(fd=fd):
            os.fchdir(fd)
            os.chroot(".")          # the fd's directory as the new root, when it works
            return read_marker(P["marker_name"], P)
        results.add(forked(go))
    return {"fds": fds, "escape": "ok" if "ok" in results else "/".join(sorted(results))}


def a_terminal(P):
    """TIOCSTI pushes input into a terminal: typed into the host's shell when the jail reaches
    its controlling terminal (/dev/tty) or holds it as fd 0-2."""
    def inject(fd):
        for ch in P["inject"]:
            fcntl.ioctl(fd, termios.TIOCSTI, ch.encode())

    def via_dev_tty():
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        try:
            inject(fd)
        finally:
            os.close(fd)
    res = {"dev_tty": run(via_dev_tty)}
    for fd in (0, 1, 2):
        if os.isatty(fd):
            res["fd%d" % fd] = run(inject, fd)
    return res


def a_open_by_handle(P):
    buf = ctypes.create_string_buffer(8 + 128)
    struct.pack_into("I", buf, 0, 128)
    mount_id = ctypes.c_int()
    check(libc.syscall(SYS_name_to_handle_at, -100, b"/", buf, ctypes.byref(mount_id), 0))
    mfd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = check(libc.syscall(SYS_open_by_handle_at, mfd, buf, os.O_RDONLY | os.O_DIRECTORY))
    finally:
        os.close(mfd)
    os.close(fd)


# ---- processes ------------------------------------------------------------------------------

def a_ptrace(P):
    def attach(pid):
        check(libc.ptrace(PTRACE_ATTACH, pid, None, None))
        os.waitpid(pid, 0)
        check(libc.ptrace(PTRACE_DETACH, pid, None, None))
    res = {"host": forked(attach, P["host_pid"])}
    if not P.get("host"):
        res["init"] = forked(attach, 1)
    return res


def a_signals(P):
    def pidfd_signal():
        fd = check(libc.syscall(SYS_pidfd_open, P["host_pid"], 0))
        os.close(fd)
    res = {"kill_host": run(os.kill, P["host_pid"], 0), "pidfd_open_host": run(pidfd_signal)}
    if not P.get("host"):
        # kill(-1) hits what the caller can see: the test checks that the host
        # witness, which logs every SIGWINCH sender, got nothing. Never on the host.
        res["kill_all"] = run(os.kill, -1, signal.SIGWINCH)
    return res


# ---- kernel objects ---------------------------------------------------------------------

def a_mount(P):
    d = P["scratch"] + "/mnt"
    os.makedirs(d, exist_ok=True)
    return run(lambda: sys_ok(libc.mount(b"none", d.encode(), b"tmpfs", 0, None)))


def a_mknod(P):
    def go(kind, major, minor):
        path = "%s/node-%d-%d" % (P["scratch"], major, minor)
        os.mknod(path, 0o600 | kind, os.makedev(major, minor))
        os.unlink(path)
    return {"disk": run(go, stat.S_IFBLK, P["disk"][0], P["disk"][1]), "kmsg": run(go, stat.S_IFCHR, 1, 11)}


def a_pivot_root(P):
    def go():
        try:
            libc.unshare(CLONE["mnt"])      # the host control must not pivot its own namespace
        except OSError:
            pass
        d = P["scratch"] + "/newroot"
        os.makedirs(d, exist_ok=True)
        check(libc.mount(b"none", d.encode(), b"tmpfs", 0, None))
        os.chdir(d)
        check(libc.syscall(SYS_pivot_root, b".", b"."))

    def here():
        os.chdir("/")
        check(libc.syscall(SYS_pivot_root, b".", b"."))
    return {"tmpfs": forked(go), "jail_root": forked(here)}


def a_namespaces(P):
    res = {}
    for name, flag in CLONE.items():
        res["unshare_" + name] = forked(lambda flag=flag: sys_ok(libc.unshare(flag)))
    for name in ("net", "mnt", "user", "pid", "uts", "ipc", "cgroup"):
        def go(name=name):
            fd = os.open("/proc/self/ns/" + name, os.O_RDONLY)
            check(libc.setns(fd, 0))
        res["setns_" + name] = forked(go)
    return res


def a_sockets(P):
    def sock(family, kind, proto=0):
        socket.socket(family, kind, proto).close()

    def bind(addr):
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((addr, 0))
            return None if s.getsockname()[0] == addr else "rebound to " + s.getsockname()[0]
    res = {"packet": run(sock, socket.AF_PACKET, socket.SOCK_RAW, 0x0300),
           "raw_inet": run(sock, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
           "vsock": run(sock, 40, socket.SOCK_STREAM),                  # AF_VSOCK
           "bind6_loopback": run(bind, "::1"),
           "bind6_any": run(bind, "::")}
    if P.get("foreign_ip"):
        res["bind_foreign"] = run(bind, P["foreign_ip"])
    if P.get("own_ip"):
        res["bind_own"] = run(bind, P["own_ip"])
    return res


def a_netlink(P):
    """RTM_NEWADDR over rtnetlink (AF_NETLINK is allowed in a jail): an address on the
    host's lo. The host control adds it in a throw-away network namespace."""
    def add_addr():
        if P.get("host"):
            sys_ok(libc.unshare(CLONE["net"]))
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as s:        # NETLINK_ROUTE
            local = struct.pack("HH4s", 8, 2, socket.inet_aton("198.18.66.77"))  # IFA_LOCAL
            body = struct.pack("BBBBI", socket.AF_INET, 32, 0, 0, socket.if_nametoindex("lo")) + local
            # RTM_NEWADDR; NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
            s.send(struct.pack("IHHII", 16 + len(body), 20, 0x1 | 0x4 | 0x200 | 0x400, 1, 0) + body)
            err = struct.unpack_from("i", s.recv(4096), 16)[0]                # the NLMSG_ERROR ack
            if err < 0:
                raise OSError(-err, os.strerror(-err))
    return forked(add_addr)


def a_abstract(P):
    def connect(name):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect("\0" + name)
    res = {k: run(connect, P[k]) for k in ("abstract_host", "abstract_other") if P.get(k)}
    if P.get("abstract_own"):
        res["abstract_own"] = run(connect, P["abstract_own"])
    return res


def a_hostname(P):
    def proc_write(path, value=None):
        with open(path, "w") as f:
            if value:
                f.write(value)
    return {"sethostname": run(lambda: sys_ok(libc.sethostname(b"escaped", 7))),
            "proc_sys_hostname": run(proc_write, "/proc/sys/kernel/hostname", "escaped"),
            # a global sysctl: opened for writing only, the host's is never changed
            "proc_sys_global": run(proc_write, "/proc/sys/vm/overcommit_ratio")}


def a_io_uring(P):
    """A socket of a family the seccomp allow-list refuses (AF_VSOCK), made by an io_uring
    IORING_OP_SOCKET: seccomp never sees io_uring operations."""
    SYS_io_uring_setup, SYS_io_uring_enter, IORING_OP_SOCKET, AF_VSOCK = 425, 426, 45, 40
    params = ctypes.create_string_buffer(120)
    ring = check(libc.syscall(SYS_io_uring_setup, 4, params))
    try:
        sq_entries, cq_entries = struct.unpack_from("II", params, 0)
        sq_off = struct.unpack_from("IIIIIIIIQ", params, 40)         # head tail mask entries flags dropped array
        cq_off = struct.unpack_from("IIIIIIIIQ", params, 80)         # head tail mask entries overflow cqes
        sq = mmap.mmap(ring, sq_off[6] + sq_entries * 4, offset=0)
        cq = mmap.mmap(ring, cq_off[5] + cq_entries * 16, offset=0x8000000)
        sqes = mmap.mmap(ring, sq_entries * 64, offset=0x10000000)
        struct.pack_into("BBHiQQII", sqes, 0, IORING_OP_SOCKET, 0, 0, AF_VSOCK, socket.SOCK_STREAM, 0, 0, 0)
        tail = struct.unpack_from("I", sq, sq_off[1])[0]
        mask = struct.unpack_from("I", sq, sq_off[2])[0]
        struct.pack_into("I", sq, sq_off[6] + 4 * (tail & mask), 0)
        struct.pack_into("I", sq, sq_off[1], tail + 1)
        check(libc.syscall(SYS_io_uring_enter, ring, 1, 1, 1, None, 0))  # IORING_ENTER_GETEVENTS
        head = struct.unpack_from("I", cq, cq_off[0])[0]
        res = struct.unpack_from("i", cq, cq_off[5] + 16 * (head & struct.unpack_from("I", cq, cq_off[2])[0]) + 8)[0]
        for m in (sq, cq, sqes):
            m.close()
    finally:
        os.close(ring)
    if res < 0:
        return "socket: " + ename(-res)
    os.close(res)


def a_bpf(P):
    insns = struct.pack("<BBhiBBhi", 0xb7, 0, 0, 0, 0x95, 0, 0, 0)      # r0 = 0; exit
    ibuf = ctypes.create_string_buffer(insns)
    lic = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("IIQQ", attr, 0, 1, 2, ctypes.addressof(ibuf), ctypes.addressof(lic))
    fd = check(libc.syscall(SYS_bpf, 5, attr, 128))
    os.close(fd)


def a_devices(P):
    return {d: run(lambda d=d: os.close(os.open(d, os.O_RDONLY | os.O_NONBLOCK))) for d in P["devices"]}


def a_sysv(P):
    def mq_open():
        os.close(check(libc.mq_open(P["mq_name"].encode(), os.O_RDWR)))
    return {"shm": run(lambda: sys_ok(libc.shmget(P["shm_key"], 0, 0))),
            "msg": run(lambda: sys_ok(libc.msgget(P["msg_key"], 0))),
            "sem": run(lambda: sys_ok(libc.semget(P["sem_key"], 0, 0))),
            "posix_mq": run(mq_open)}


# ---- privileges after the uid drop ------------------------------------------------------

def a_privileges(P):
    """Binaries that would raise privileges outside: a setuid-root copy of id(1), and
    copies of cat(1) with file capabilities inside and outside the jail's bounding set."""
    def out(argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return r.stdout if r.returncode == 0 else "exit %d: %s" % (r.returncode, r.stderr.strip())

    def caps(binary):
        status = out([binary, "/proc/self/status"])
        return {k: v.strip() for k, _, v in (line.partition(":") for line in status.splitlines())
                if k in ("CapEff", "CapPrm")}
    app = P["root"] + "/app/"
    return {"setuid_euid": run(lambda: out([app + "suid-id", "-u"]).strip()),
            "filecap_bounded": run(caps, app + "cap-cat-bounded"),
            "filecap_admin": run(caps, app + "cap-cat-admin"),
            "setresuid0": run(os.setresuid, 0, 0, 0)}


ATTACKS = {k[2:]: v for k, v in globals().items() if k.startswith("a_")}


def attack(P, names=None):
    return {n: run(ATTACKS[n], P) for n in (names or ATTACKS)}


def application(environ, start_response):
    q = urllib.parse.unquote(environ.get("QUERY_STRING", ""))
    if environ["PATH_INFO"] == "/listen":
        if q not in listeners:          # else a retried request
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind("\0" + q)
            s.listen(8)
            listeners[q] = s
        body = {"listening": q}
    else:
        P = json.loads(q)
        body = attack(P, P.get("only"))
    data = json.dumps(body, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


if __name__ == "__main__":
    print(json.dumps(attack(json.loads(sys.argv[1]), sys.argv[2:] or None), sort_keys=True))
