"""The baseline of the HTTP benchmarks: a bare Flask view returning a short string."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
