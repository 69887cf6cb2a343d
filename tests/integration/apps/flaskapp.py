# SPDX-License-Identifier: MIT
from flask import Flask, request

app = Flask(__name__)


@app.route("/")
def index():
    return "flask says hi"


@app.route("/form", methods=["POST"])
def form():
    return "name=" + request.form.get("name", "")


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    return "%s:%d" % (f.filename, len(f.read()))


@app.route("/stream")
def stream():
    """First part at once, the rest after the test creates the gate file."""
    import os
    import time

    from flask import Response
    gate = request.args.get("gate", "")

    def parts():
        yield "part 0\n"
        deadline = time.monotonic() + 20
        while gate and not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.02)
        for i in range(1, 4):
            yield "part %d\n" % i

    return Response(parts(), mimetype="text/plain")
