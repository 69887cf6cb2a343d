# SPDX-License-Identifier: MIT
"""put(): how the test apps write a result file (imported by uwsgi_api.py,
uwsgi_mule.py and uwsgi_spool.py from their own directory)."""
import os


def put(path, text, mode="w"):
    """Writes text so that the file appears whole (tests read it as soon as it exists)."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    old = ""
    if mode == "a" and os.path.exists(path):
        with open(path) as f:
            old = f.read()
    with open(tmp, "w") as f:
        f.write(old + text)
    os.rename(tmp, path)
