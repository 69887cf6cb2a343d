# SPDX-License-Identifier: MIT
"""A mule program (`mule = uwsgi_mule_prog.py`): echoes each message to a file."""
import os

import uwsgi

OUT = os.environ["UWSGI_API_OUT"]


def put(path, text):
    """Writes text so that the file appears whole."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


put(os.path.join(OUT, f"prog.started.{uwsgi.mule_id()}"), str(os.getpid()))
while True:
    msg = uwsgi.mule_get_msg()
    # it reads the shared queue too: a @mulefunc call (a pickle) may land here
    name = msg.decode() if msg.isalnum() else "pickle"
    put(os.path.join(OUT, "prog." + name), str(uwsgi.mule_id()))
