#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The house rules a compiler does not check, checked on every `make test`.

- layering: a folder of src/ includes only folders below it (LAYERS);
- no source file over MAX_LINES lines;
- no OS #if outside the platform and backend files (picked by file name);
- every source file starts with an SPDX line (or has it on line 2 after #!);
- function definitions in src/ put the return type on its own line (KNF).

Prints one line per finding, `path:line: what`, and exits 1 if there is any.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from knf_defs import find_kr_defs  # noqa: E402

# Each folder may include itself and the folders of lower rank.
LAYERS = {
    "base": 0,
    "config": 1,
    "proto": 2, "net": 2, "cache": 2,
    "jail": 3, "hooks": 3, "python": 3, "pty": 3, "router": 3, "request_features": 3,
    "server": 4,
    "emperor": 5,
}
MAX_LINES = 800
OS_IF = re.compile(r"^\s*#\s*(if|elif|ifdef|ifndef)\b.*__(linux|FreeBSD)__")
OS_FILE = re.compile(r"(^|_)(linux|freebsd)(_|\.c$)|epoll\.c$|kqueue\.c$|^platform")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
SOURCE_EXT = (".c", ".h", ".py", ".sh", ".lua")
SPDX = "SPDX-License-Identifier:"


def rel(root, path):
    return os.path.relpath(path, root)


def walk(root, sub, exts):
    for dirpath, dirs, files in os.walk(os.path.join(root, sub)):
        # test inputs are shaped for their tests (line numbers, bytes)
        dirs[:] = [d for d in dirs if d not in ("fixtures", "corpus")]
        for name in sorted(files):
            if name.endswith(exts):
                yield os.path.join(dirpath, name)


def check_src(root, path, lines, out):
    r = rel(root, path)
    parts = r.split(os.sep)
    folder = parts[1] if len(parts) > 2 else None
    name = parts[-1]
    if len(lines) > MAX_LINES:
        out.append(f"{r}:{len(lines)}: {len(lines)} lines, over {MAX_LINES}")
    for n, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if m and folder is not None:
            to = m.group(1)
            if to not in LAYERS:
                out.append(f"{r}:{n}: includes unknown folder {to}/")
            elif LAYERS[to] > LAYERS.get(folder, 99) or (
                    LAYERS[to] == LAYERS.get(folder) and to != folder):
                out.append(f"{r}:{n}: {folder}/ may not include {to}/")
        if OS_IF.match(line) and not OS_FILE.search(name):
            out.append(f"{r}:{n}: OS #if outside a platform or backend file")
    if path.endswith(".c"):
        for first, *_ in find_kr_defs(lines):
            out.append(f"{r}:{first + 1}: definition with the return type on "
                       "the name's line (KNF: type on its own line)")


def check_spdx(root, path, lines, out):
    head = lines[:2]
    if not any(SPDX in line for line in head):
        out.append(f"{rel(root, path)}:1: no SPDX line")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    out = []
    for path in walk(root, "src", (".c", ".h")):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        check_src(root, path, lines, out)
    for sub in ("src", "tests", "bench", "scripts", "examples", ".ci"):
        for path in walk(root, sub, SOURCE_EXT):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")
            check_spdx(root, path, lines, out)
    for line in out:
        print(line)
    if out:
        print(f"check-tree: {len(out)} finding(s)", file=sys.stderr)
        return 1
    print("check-tree: layering, file length, OS #if, SPDX and KNF all clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
