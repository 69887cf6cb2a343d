# SPDX-License-Identifier: MIT
"""Start-up time: exec of a server command to its first 200 response.

    python3 bench/startup.py HOST PORT LOG -- CMD...

Starts CMD (stdout/stderr to LOG), polls HOST:PORT every 2 ms with a
"GET / HTTP/1.1" + "Connection: close" request until the status line is
200, prints the elapsed milliseconds, then stops CMD (SIGINT, the immediate
shutdown of Stockade and uWSGI; SIGKILL after 10 s) and waits for it, so
that a jail's name is free again for the next start. Exit 1 on failure."""
import signal
import socket
import subprocess
import sys
import time

host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmd = sys.argv[5:] if sys.argv[4] == "--" else sys.argv[4:]
REQ = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"

with open(log, "ab") as logf:
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
    ms = None
    while time.monotonic() - t0 < 20:
        if p.poll() is not None:
            break
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.sendall(REQ)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    ms = (time.monotonic() - t0) * 1000
                    break
        except OSError:
            pass
        time.sleep(0.002)
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
if ms is None:
    sys.exit(1)
print("%.1f" % ms)
