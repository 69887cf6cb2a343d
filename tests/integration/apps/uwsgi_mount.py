# SPDX-License-Identifier: MIT
"""Two apps for `mount` (test_uwsgi_module.py): each answers its name,
SCRIPT_NAME and PATH_INFO."""
import json


def make(name):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"app": name, "SCRIPT_NAME": environ.get("SCRIPT_NAME"),
                            "PATH_INFO": environ["PATH_INFO"]}).encode()]
    return app


one = make("one")
two = make("two")
