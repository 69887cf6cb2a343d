# SPDX-License-Identifier: MIT
"""A mule program (`mule = uwsgi_mule_prog.py`): echoes each message to a file."""
import os

import uwsgi

OUT = os.environ["UWSGI_API_OUT"]
with open(os.path.join(OUT, f"prog.started.{uwsgi.mule_id()}"), "w") as f:
    f.write(str(os.getpid()))
while True:
    msg = uwsgi.mule_get_msg()
    # it reads the shared queue too: a @mulefunc call (a pickle) may land here
    name = msg.decode() if msg.isalnum() else "pickle"
    with open(os.path.join(OUT, "prog." + name), "w") as f:
        f.write(str(uwsgi.mule_id()))
