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
