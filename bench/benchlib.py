# SPDX-License-Identifier: MIT
"""Helpers the Python parts of the bench scripts share (emperor.sh,
ondemand.sh, router_vassals.sh import it through BENCH_DIR)."""
import os
import shlex


def tree(pid):
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def mem(pid):
    """(RSS, PSS) of pid in KiB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, v = line.split(":", 1)
                if k == "Rss":
                    rss = int(v.split()[0])
                elif k == "Pss":
                    pss = int(v.split()[0])
    except OSError:
        pass
    return rss, pss


def rootfs_prologue(root, binary, work):
    """Shell lines that build the jails' shared root: /usr read-only, a private
    /tmp, a few /etc files, the binary's and the work directory at their own
    paths (run in the launcher's private mount namespace)."""
    lines = ["set -e", f"R={shlex.quote(root)}"]
    for d in ("usr", "etc", "tmp", "proc", "dev"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.lexists(f"/{link}") and not os.path.lexists(os.path.join(root, link)):
            os.symlink(f"usr/{link}", os.path.join(root, link))
    lines += ['mount --bind /usr "$R/usr"', 'mount -o remount,bind,ro "$R/usr"',
              'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"']
    for f in ("passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "localtime"):
        if os.path.exists(f"/etc/{f}"):
            lines += [f'touch "$R/etc/{f}"', f'mount --bind /etc/{f} "$R/etc/{f}"']
    for b in {os.path.dirname(os.path.realpath(binary)), work}:
        q = shlex.quote(b)
        lines += [f'mkdir -p "$R"{q}', f'mount --bind {q} "$R"{q}']
    return "\n".join(lines) + "\nset +e\n"
