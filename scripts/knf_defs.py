#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Function definitions in KNF (style(9)): the return type on a line of its
own, the name at column 0, the opening brace on a line of its own.

`knf_defs.py FILE...` rewrites K&R-style definitions in place and prints the
files it changed; scripts/check-tree.py uses find_kr_defs() to report them.
"""
import re
import sys

ATTR = r"__attribute__\(\((?:[^()]|\([^()]*\))*\)\)"
DEF = re.compile(r"^((?:(?:static|inline|const|unsigned|signed|struct|enum|union)\s+|"
                 + ATTR + r"\s+)*"
                 r"[A-Za-z_]\w*(?:\s+(?:[A-Za-z_]\w*|" + ATTR + r"))*?[\s\*]+)"
                 r"([a-z_]\w*)\((.*)$")
KEYWORDS = {"return", "else", "typedef", "if", "while", "for", "switch", "do",
            "case", "goto", "sizeof", "extern"}


def _close(lines, i):
    """Index of the line closing the parameter list opened on line i, and
    the column of the `)` in it (relative to the segment), or None."""
    line = lines[i]
    depth = 0
    for j in range(i, min(i + 12, len(lines))):
        seg = line[line.index("("):] if j == i else lines[j]
        for k, ch in enumerate(seg):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return j, seg, k
    return None


def find_kr_defs(lines):
    """Yields (first, last, seg, col, rest, oneliner, match) for each
    definition whose return type shares the name's line."""
    i = 0
    while i < len(lines):
        line = lines[i]
        m = DEF.match(line)
        if (m and line[:1].isalpha() and "=" not in line.split("(")[0]
                and m.group(1).split()[0] not in KEYWORDS):
            c = _close(lines, i)
            if c is not None:
                j, seg, col = c
                rest = seg[col + 1:].strip()
                nxt = lines[j + 1] if j + 1 < len(lines) else ""
                oneliner = (rest.startswith("{") and rest.endswith("}")
                            and rest.count(";") <= 1 and rest.count("{") == 1)
                if rest == "{" or (rest == "" and nxt == "{") or oneliner:
                    yield i, j, seg, col, rest, oneliner, m
                    i = j + 1
                    continue
        i += 1


def convert(text):
    lines = text.split("\n")
    out = []
    done = 0
    for i, j, seg, col, rest, oneliner, m in list(find_kr_defs(lines)):
        out.extend(lines[done:i])
        typ = m.group(1).rstrip()
        stars = ""
        while typ.endswith("*"):
            stars += "*"
            typ = typ[:-1].rstrip()
        out.append(typ + (" " + stars if stars else ""))
        block = [m.group(2) + "(" + m.group(3)] + lines[i + 1:j + 1]
        cut = len(block[-1]) - len(seg) + col + 1
        if oneliner or rest == "{":
            block[-1] = block[-1][:cut].rstrip()
        out.extend(block)
        if oneliner:
            body = rest[1:-1].strip()
            out.append("{")
            if body:
                out.append("\t" + body)
            out.append("}")
        elif rest == "{":
            out.append("{")
        done = j + 1
    out.extend(lines[done:])
    return "\n".join(out)


def main(paths):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            s = f.read()
        t = convert(s)
        if t != s:
            with open(p, "w", encoding="utf-8") as f:
                f.write(t)
            print(p)


if __name__ == "__main__":
    main(sys.argv[1:])
