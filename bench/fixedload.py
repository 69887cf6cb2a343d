# SPDX-License-Identifier: MIT
"""A fixed number of HTTP requests, for syscall counting (bench/syscalls.sh).

    python3 bench/fixedload.py HOST PORT N CONNS ka|close

Keeps CONNS requests in flight (like wrk -cCONNS), one per connection, until
N responses arrived. ka: CONNS keep-alive connections, reused; close: every
request on a new connection with "Connection: close", read until EOF.
Responses must be "200" with a Content-Length body. A keep-alive connection
the server closes between responses (uWSGI --http-socket does) is reopened
and the request sent again, as wrk does. Prints the number of responses
read; exit 1 on any error (a bad status, a connection closed mid-response)."""
import selectors
import socket
import sys

host, port, total, conns, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
close = mode == "close"
REQ = b"GET / HTTP/1.1\r\nHost: bench\r\n" + (b"Connection: close\r\n" if close else b"") + b"\r\n"

sel = selectors.DefaultSelector()
sent = done = 0


def response_complete(buf):
    """Length of one complete response at the start of buf, or 0."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0
    head = buf[:end].decode("latin-1").lower()
    if not head.startswith("http/1.1 200"):
        sys.exit("fixedload: bad response: " + head.splitlines()[0])
    cl = 0
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip() == "content-length":
            cl = int(v)
    return end + 4 + cl if len(buf) >= end + 4 + cl else 0


def start(sock=None):
    global sent
    if sock is None:
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, bytearray())
    try:
        sock.sendall(REQ)
    except OSError:
        pass   # closed by the server: the read below sees the EOF
    sent += 1


for _ in range(min(conns, total)):
    start()
while done < total:
    ready = sel.select(5)
    if not ready:
        sys.exit("fixedload: nothing from the server for 5 s after %d responses%s" %
                 (done, " (does it ignore Connection: close?)" if close else ""))
    for key, _ in ready:
        sock, buf = key.fileobj, key.data
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if data:
            buf += data
        n = response_complete(buf)
        if not data and not close and not buf:
            sel.unregister(sock)   # closed between responses: send again on a new one
            sock.close()
            sent -= 1
            start()
            continue
        if not data and not (close and n):
            sys.exit("fixedload: connection closed early after %d responses" % done)
        if n == 0 or (close and data):
            continue   # close mode: wait for the EOF after the response
        done += 1
        del buf[:n]
        if close:
            sel.unregister(sock)
            sock.close()
            if sent < total:
                start()
        elif sent < total:
            start(sock)
        else:
            sel.unregister(sock)
            sock.close()
print(done)
