#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summary of `make test-repeat`: reads the JUnit XML of each run and prints
every test that failed (or errored) at least once, with its failure count."""
import collections
import sys
import xml.etree.ElementTree as ET


def main(paths):
    runs = 0
    fails = collections.Counter()
    for p in paths:
        try:
            root = ET.parse(p).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"test-repeat: {p}: {e} (run counted as failed)")
            fails["<whole run: no report>"] += 1
            runs += 1
            continue
        runs += 1
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                fails[name] += 1
    if not fails:
        print(f"test-repeat: {runs} runs, no test failed")
        return 0
    print(f"test-repeat: {runs} runs, {len(fails)} tests failed at least once:")
    for name, n in sorted(fails.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n}/{runs}  {name}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
